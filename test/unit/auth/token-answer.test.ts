import { expect } from 'chai';
import { checkTokenAnswer } from '../../../lib/auth/msal';

const AT = { api: 'Entra ID (https://login.microsoftonline.com)', label: 'the token request' };
const EXPECTED = "; expected a JSON object with a string 'access_token' and 'expires_in' in seconds (Entra ID's token answer).";

describe('token answers (lib/auth/msal checkTokenAnswer)', () => {
  it("takes Entra ID's answers: expires_in a number (v2.0) or a string of digits (v1.0), token_type Bearer in any case or absent", () => {
    expect(checkTokenAnswer({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'eyJ0' }, AT)).to.equal(undefined);
    expect(checkTokenAnswer({ token_type: 'bearer', expires_in: '3599', access_token: 'eyJ0' }, AT)).to.equal(undefined);
    expect(checkTokenAnswer({ expires_in: 60, access_token: 'eyJ0' }, AT)).to.equal(undefined);
  });

  it('refuses every other shape with API_ERROR naming what came, never a value', () => {
    const cases: Array<[unknown, string]> = [
      [{ token_type: 'Bearer', expires_in: 'soon', access_token: 12345 }, "an 'access_token' that is a number"],
      [{ token_type: 'Bearer', expires_in: 'soon', access_token: 'secret-token-value' }, "an 'expires_in' that is not a number of seconds (a string)"],
      [{ token_type: 'Bearer', expires_in: -5, access_token: 'secret-token-value' }, "an 'expires_in' that is not a number of seconds (a number)"],
      [{ access_token: 'secret-token-value' }, "an 'expires_in' that is not a number of seconds (nothing)"],
      [{ token_type: 'pop', expires_in: 3599, access_token: 'secret-token-value' }, "a 'token_type' that is not Bearer"],
      [{ token_type: 'Bearer', expires_in: 3599, access_token: '  ' }, "an empty 'access_token'"],
      [{ error: 'x' }, "an object without 'access_token' (it has key 'error')"],
      [[], 'a list (0 items)'],
      [null, 'null'],
      [undefined, 'an empty body'],
      ['secret-token-value', 'a string'],
    ];
    for (const [answer, came] of cases) {
      const err = checkTokenAnswer(answer, AT);
      expect(err?.code, JSON.stringify(answer)).to.equal('API_ERROR');
      expect(err?.message).to.equal(`Entra ID (https://login.microsoftonline.com) answered the token request with ${came}${EXPECTED}`);
      expect(err?.message).not.to.include('secret-token-value');
    }
  });
});

// List parameters: engines send a multi-value parameter as one comma- or newline-separated string.

import { splitList } from '../runtime/text';

export { splitList };

/**
 * A list of one vocabulary's values. A value whose label holds a comma ("Informational, Expected Activity") is one
 * value: a piece that is not a value on its own but is one when joined with the next piece is taken joined. The
 * error of the piece itself is what a bad value reports.
 */
export function parseList<T>(value: string | undefined, parse: (text: string, param: string) => T, param: string): T[] {
  const pieces = splitList(value);
  const out: T[] = [];
  for (let i = 0; i < pieces.length; i++) {
    try {
      out.push(parse(pieces[i]!, param));
    } catch (err) {
      const next = pieces[i + 1];
      if (next === undefined) throw err;
      try {
        out.push(parse(`${pieces[i]}, ${next}`, param));
        i++;
      } catch {
        throw err;
      }
    }
  }
  return out;
}

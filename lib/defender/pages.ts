// Every loop over pages is bounded. The one pager for @odata.nextLink (followPages) and the guard behind it, which the
// readers that build their own next queries (the daemon) use too: a page is never requested twice, an empty page that
// still names a next page ends the loop, and so does a page limit; each is API_ERROR, since a service that answers so
// is not paging (an answer that gives an empty page and a nextLink each time made 3,000 requests a second).
//
// A nextLink is followed only on the configured API origin and path (nextLinkPath), so the bearer token never goes
// to another host.

import { ActionError } from '../runtime/errors';
import { capitalised, listPage, type Answered, type ListPage } from '../runtime/shape';
import type { ApiCall, DefenderApi } from './api';
import { nextLinkPath } from './odata';

export class PageGuard {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(
    private readonly at: Answered,
    /** the most pages the loop may read */
    readonly maxPages: number,
  ) {}

  /** Before reading a page: API_ERROR when the loop has read its page limit. */
  count(): void {
    if (this.pages >= this.maxPages) {
      throw new ActionError('API_ERROR', `${this.api()} answered ${this.at.label} with more than ${this.maxPages} pages, the most one run reads; the run stops rather than page on. Narrow the request, or check what answers in front of the service.`);
    }
    this.pages++;
  }

  /**
   * Before requesting `key` (a page's path, or the query a reader builds): API_ERROR when it was requested before in
   * this loop. `why` says what led back to it.
   */
  unseen(key: string, why = 'an @odata.nextLink to a page already read'): void {
    if (this.seen.has(key)) {
      throw new ActionError('API_ERROR', `${this.api()} answered ${this.at.label} with ${why} (after page ${this.pages - 1}); it is not paging forward, so the run stops.`);
    }
    this.seen.add(key);
  }

  /** After a page: API_ERROR when it holds nothing but still names a next page. */
  page(items: number, hasNext: boolean): void {
    if (items === 0 && hasNext) {
      throw new ActionError('API_ERROR', `${this.api()} answered ${this.at.label} with an empty page that still has an @odata.nextLink (page ${this.pages}); expected either items or no next page, so the run stops.`);
    }
  }

  /** pages read so far */
  get read(): number {
    return this.pages;
  }

  private api(): string {
    return capitalised(this.at.api);
  }
}

/**
 * The pages of a GET that pages with @odata.nextLink, each checked for its shape, at most `maxPages`; a link already
 * read, an empty page with a nextLink and a nextLink off the configured API are API_ERROR. Stop early by leaving the
 * loop.
 */
export async function* followPages(api: DefenderApi, first: ApiCall, maxPages: number): AsyncGenerator<ListPage, void, undefined> {
  const at: Answered = { api: api.name, label: first.label };
  const guard = new PageGuard(at, maxPages);
  let path: string | undefined = first.path;
  while (path !== undefined) {
    guard.count();
    guard.unseen(path);
    const page = listPage(await api.call({ ...first, path }), at);
    guard.page(page.value.length, page.nextLink !== undefined);
    yield page;
    path = page.nextLink === undefined ? undefined : nextLinkPath(page.nextLink, api.apiUrl);
  }
}

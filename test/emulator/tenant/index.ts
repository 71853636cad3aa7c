// Placeholder until the tenant model lands: the server core compiles against this signature.
import type { Tenant, TenantOptions } from './api';
export * from './api';
export function createTenant(_options: TenantOptions): Tenant {
  throw new Error('The tenant model is not built yet.');
}

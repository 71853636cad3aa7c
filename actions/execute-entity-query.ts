// Execute Entity Query (Enrichment): the entities in scope become filters, each table on its own columns for each
// type (lib/kql/entities.ts); the query never runs unfiltered, and "stop if not enough entities" ends the run before
// any call.
import { defineAction, type EntityType } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { hunt } from '../lib/defender/hunting';
import { ENTITY_KEY_PARAMS, entityFilter, type EntityKeys } from '../lib/kql/entities';
import { kqlIdentifier } from '../lib/kql/literal';
import { queryFrame } from '../lib/kql/params';
import { buildQuery } from '../lib/kql/query';
import { spec } from '../lib/generated/actions/execute-entity-query.spec';
import type { ExecuteEntityQueryInput, ExecuteEntityQueryResult } from '../lib/generated/actions/execute-entity-query.types';

const KEY_PARAMS = Object.entries(ENTITY_KEY_PARAMS) as Array<[EntityType, keyof ExecuteEntityQueryInput & string]>;

const empty = (message: string): { json: ExecuteEntityQueryResult; message: string } => ({
  json: { query: '', timespan: null, row_count: 0, limit_reached: false, schema: [], rows: [], tables: [] },
  message,
});

export default defineAction({
  spec,
  entityTypes: KEY_PARAMS.map(([type]) => type),
  async run(ctx) {
    const p = ctx.params;
    const frame = queryFrame(p, new Date());
    const { tables } = frame;
    const keys: EntityKeys = {};
    for (const [type, param] of KEY_PARAMS) {
      const value = (p[param] as string | undefined)?.trim();
      if (value) keys[type] = kqlIdentifier(value, param);
    }
    const entities = ctx.entities;
    const skipAll = (reason: string) => entities.map((e) => ({ Identifier: e.identifier, EntityType: e.type, status: 'skipped' as const, message: reason }));

    const keyed = KEY_PARAMS.map(([type]) => type).filter((type) => keys[type] !== undefined);
    const missing = keyed.filter((type) => !entities.some((e) => e.types.has(type)));
    if (p.stop_if_not_enough_entities && missing.length) {
      const r = empty(`Not enough entities: none of type ${missing.join(', ')} is in scope; the query was not run.`);
      return { result_value: false, output_message: r.message, json_result: r.json, entities: skipAll('the run stopped: not enough entities') };
    }
    if (entities.length === 0) {
      const r = empty('No entity in scope to hunt for; the query was not run (it never runs unfiltered).');
      return { result_value: false, output_message: r.message, json_result: r.json };
    }

    const operator = p.cross_entity_operator === 'AND' ? 'and' : 'or';
    const tableFilters: Record<string, string> = {};
    const used = new Set<(typeof entities)[number]>();
    for (const table of tables) {
      const f = entityFilter(table, entities, keys, operator);
      // with AND, a table without a column for one of the types in scope cannot match them all
      const unmatched = f.missingTypes.filter((type) => entities.some((e) => e.types.has(type)));
      if (!f.filter || (operator === 'and' && unmatched.length)) {
        ctx.log.info(`${table} left out: it has no column for ${unmatched.join(', ') || 'these entities'}`);
        continue;
      }
      tableFilters[table] = f.filter;
      for (const e of f.used) used.add(e);
    }
    const queried = Object.keys(tableFilters);
    if (queried.length === 0) {
      const r = empty(`None of the tables (${tables.join(', ')}) can be filtered on the entities in scope; the query was not run.`);
      return { result_value: false, output_message: r.message, json_result: r.json, entities: skipAll(`no column for it in ${tables.join(', ')}`) };
    }

    const query = buildQuery({ ...frame, tables: queried, tableFilters });
    const outcome = await hunt(defenderApiFor(ctx), { query, range: frame.range, limit: frame.limit, tables: queried });
    const json: ExecuteEntityQueryResult = outcome.json;
    return {
      result_value: outcome.result_value,
      output_message: `${outcome.output_message} ${used.size} of ${entities.length} entit${entities.length === 1 ? 'y' : 'ies'} in scope went into it.`,
      json_result: json,
      tables: outcome.tables,
      entities: entities.map((e) =>
        used.has(e)
          ? { Identifier: e.identifier, EntityType: e.type, status: 'success' as const, message: `in the query on ${queried.join(', ')}` }
          : { Identifier: e.identifier, EntityType: e.type, status: 'skipped' as const, message: `no column for ${e.type} in ${queried.join(', ')}` },
      ),
    };
  },
});

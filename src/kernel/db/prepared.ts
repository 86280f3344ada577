import pg from 'pg';
import type { Compilable, CompiledQuery } from 'kysely';
import type { Db, Executor } from './database.js';

/** SQL text → the name it is prepared under, on every pooled connection that runs it. */
const statementNames = new Map<string, string>();

/**
 * The pool's client: a query whose text was declared with `prepared` runs as a named prepared
 * statement (parsed and planned once per connection, then only bound and executed); any other query
 * runs as before. pg remembers per connection which names it has prepared.
 */
export class PreparingClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's query has many overloads; this passes them through
  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === 'string' ? statementNames.get(config) : undefined;
    if (name && (values === undefined || Array.isArray(values))) return super.query({ name, text: config as string, values }, callback);
    return super.query(config, values, callback);
  }
}

/** Stands for the i-th argument while the query is compiled, to find where its value goes. */
class Argument {
  constructor(readonly index: number) {}
}

/**
 * A hot query of fixed shape, built with Kysely once and run as a named prepared statement: no
 * building or compiling per call in Node, no parsing or planning per call in PostgreSQL (a generic
 * plan: fit for lookups by key, not for queries whose best plan depends on the values). `build` gets
 * stand-ins for the arguments and must use each as a plain value.
 */
export function prepared<D extends Executor, A extends unknown[], R>(name: string, build: (db: D, ...args: A) => Compilable<R>): (db: D, ...args: A) => Promise<R[]> {
  let compiled: CompiledQuery<R> | undefined;
  let slots: ReadonlyArray<{ arg: number } | { value: unknown }> = [];
  return async (db, ...args) => {
    if (!compiled) {
      compiled = build(db, ...(args.map((_, i) => new Argument(i)) as A)).compile();
      slots = compiled.parameters.map((p) => (p instanceof Argument ? { arg: p.index } : { value: p }));
      const taken = [...statementNames].find(([text, n]) => n === `evently_${name}` && text !== compiled!.sql);
      if (taken) throw new Error(`prepared statement name ${name} is used by another query`);
      statementNames.set(compiled.sql, `evently_${name}`);
    }
    const parameters = slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    return (await (db as Db).executeQuery<R>({ ...compiled, parameters })).rows;
  };
}

/**
 * `describe`, `it` and the hooks, for the test files with Redis-backed suites
 * (`describe(name, { skip: skipWithoutRedis() }, fn)`).
 *
 * node:test never calls a skipped suite's function, so its tests are neither counted nor listed: a run
 * without Redis counted 165 of 307 tests and said "skipped 1". Without REDIS_URL, these functions
 * declare a skipped suite as a suite that runs its function with every test in it declared skipped
 * (same reason) and every hook in it a no-op, so node:test counts and reports each of those tests.
 * They also note each skipped suite (file, suite, number of tests) in the file scripts/test.ts names
 * in EVENTLY_TEST_SKIPS, for the summary it prints at the end of the run.
 *
 * With REDIS_URL set no suite can be skipped, and these are node:test's own functions, unwrapped:
 * node:test takes a test's location (file, line) from the line that called `it` or `describe`, which
 * for the wrappers is in this file. So without Redis, the "test at …" line under a failure in one of
 * these files points here (the stack trace still points at the test), and the summary is noted here,
 * where the test file is known (process.argv[1]), not read from node:test's events.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import * as nodeTest from 'node:test';
import type { HookFn, HookOptions, SuiteContext, SuiteFn, TestFn, TestOptions } from 'node:test';
import { ROOT } from './process.js';
import { redisUrl } from './redis.js';

/** One skipped suite, or one skipped test outside a skipped suite; a line of EVENTLY_TEST_SKIPS. */
export interface SkippedEntry {
  file: string;
  /** The enclosing suites' names, then its own. */
  names: string[];
  suite: boolean;
  tests: number;
  reason: string;
}

/** The names of the suites being declared, outermost first. */
const suites: string[] = [];
/** While a skipped suite's function runs: why, and how many tests it declared so far. */
let skipping: { reason: string; tests: number } | undefined;

const reasonOf = (skip: TestOptions['skip']) => (skip === true ? 'skipped' : skip || undefined);

function note(entry: Omit<SkippedEntry, 'file'>): void {
  const log = process.env.EVENTLY_TEST_SKIPS;
  // One write of one short line to a file opened for appending: concurrent test files do not interleave.
  if (log) appendFileSync(log, `${JSON.stringify({ file: path.relative(ROOT, process.argv[1] ?? ''), ...entry })}\n`);
}

interface Parsed {
  name: string | undefined;
  options: TestOptions;
  fn: ((...args: never[]) => unknown) | undefined;
}

/** node:test's overloads: (name?, options?, fn?), each part optional. */
function parse(args: unknown[]): Parsed {
  return {
    name: typeof args[0] === 'string' ? args[0] : undefined,
    options: (args.find((a) => typeof a === 'object' && a !== null) as TestOptions | undefined) ?? {},
    fn: args.find((a) => typeof a === 'function') as Parsed['fn'],
  };
}

function declareSuite({ name, options, fn }: Parsed): Promise<void> {
  const { skip, ...rest } = options;
  const outer = skipping;
  const reason = reasonOf(skip);
  const state = outer ?? (reason === undefined ? undefined : { reason, tests: 0 });
  return nodeTest.describe(name ?? fn?.name, rest, (s: SuiteContext) => {
    suites.push(s.name);
    skipping = state;
    try {
      const declared = (fn as SuiteFn | undefined)?.(s);
      // Tests declared after an await would be declared once `skipping` is restored: they would run.
      if (state && declared instanceof Promise) throw new Error(`skipped suite "${s.name}" must declare its tests synchronously`);
      if (state && !outer) note({ names: [...suites], suite: true, tests: state.tests, reason: state.reason });
      return declared;
    } finally {
      skipping = outer;
      suites.pop();
    }
  });
}

function declareTest({ name, options, fn }: Parsed): Promise<void> {
  const reason = skipping?.reason ?? reasonOf(options.skip);
  if (reason === undefined) return nodeTest.it(name, options, fn as TestFn | undefined);
  if (skipping) skipping.tests++;
  else note({ names: [...suites, name ?? fn?.name ?? '<anonymous>'], suite: false, tests: 1, reason });
  return nodeTest.it(name ?? fn?.name, { ...options, skip: reason }, fn as TestFn | undefined);
}

/** The callable plus its `.skip`, `.todo` and `.only` forms. */
function withVariants(declare: (p: Parsed) => Promise<void>) {
  const variant = (extra: TestOptions) => (...args: unknown[]) => {
    const p = parse(args);
    return declare({ ...p, options: { ...p.options, ...extra } });
  };
  return Object.assign((...args: unknown[]) => declare(parse(args)), {
    skip: variant({ skip: true }),
    todo: variant({ todo: true }),
    only: variant({ only: true }),
  });
}

const hook =
  (register: (fn?: HookFn, options?: HookOptions) => void) =>
  (fn?: HookFn, options?: HookOptions): void => {
    if (!skipping) register(fn, options);
  };

const counting = !redisUrl();
export const describe = counting ? (withVariants(declareSuite) as unknown as typeof nodeTest.describe) : nodeTest.describe;
export const it = counting ? (withVariants(declareTest) as unknown as typeof nodeTest.it) : nodeTest.it;
export const before = counting ? hook(nodeTest.before) : nodeTest.before;
export const after = counting ? hook(nodeTest.after) : nodeTest.after;
export const beforeEach = counting ? hook(nodeTest.beforeEach) : nodeTest.beforeEach;
export const afterEach = counting ? hook(nodeTest.afterEach) : nodeTest.afterEach;

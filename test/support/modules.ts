import type { ModuleContext, ModuleDefinition, ModuleParts } from '../../src/kernel/index.js';

/** A module as it is, with parts a test adds or replaces (a probe route, a recording consumer). */
export function extendModule<C, DB>(
  module: ModuleDefinition<C, DB>,
  extend: (parts: ModuleParts, ctx: ModuleContext<C, DB>) => ModuleParts | Promise<ModuleParts>,
): ModuleDefinition<C, DB> {
  return { ...module, create: async (ctx) => extend(await module.create(ctx), ctx) };
}

// TypeDoc plugin: names each module after its npm entry point (`core/src` → `@aha/core`, `core/src/testing` →
// `@aha/core/testing`), so the reference reads like the imports users write. TypeDoc's "resolve" strategy names
// modules by path; its "packages" strategy would name them by package but cannot give one package two entry points.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const match = /^([\w-]+)\/src(?:\/(.+))?$/.exec(mod.name);
      if (match) mod.name = `@aha/${match[1]}${match[2] ? `/${match[2]}` : ''}`;
    }
  });
}

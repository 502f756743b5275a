/**
 * Docs snippets compile: extracts the ```ts blocks of the Markdown docs (docs/**, package and example READMEs, the
 * root README) and type-checks them with the TypeScript compiler API against the workspace sources (the `source`
 * export condition of tsconfig.base.json), so a renamed export or a changed option breaks the build, not the reader.
 * Each block is its own module, placed beside its Markdown file (so relative imports and the nearest package.json
 * apply) and checked with the repo's compiler options; errors are reported as `file.md:line:col message`.
 * A block opts out with ```ts nocompile (pseudo-code, fragments that need context). Only blocks are checked, not
 * whole programs run: a snippet that compiles can still be wrong at run time.
 * Leaves out: ```js blocks (untyped), snippets inside docs/api (generated).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One compilable block of a Markdown file. */
export interface Snippet {
  /** Markdown file, absolute. */
  file: string;
  /** 1-based line of the first code line (the line after the opening fence). */
  line: number;
  code: string;
}

/** A type error in a snippet, located in its Markdown file. */
export interface SnippetError {
  file: string;
  line: number;
  column: number;
  message: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript', 'tsx']);

/** The ```ts blocks of one Markdown text; blocks whose info string says `nocompile` are skipped. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    // CommonMark: a backtick fence's info string has no backticks (```` ```ts ```` is inline code, not a fence).
    if (fence[0] === '`' && `${lang}${rest}`.includes('`')) continue;
    // The block ends at a fence of the same character, at least as long (CommonMark).
    let end = i + 1;
    while (end < lines.length) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[end]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      end++;
    }
    if (TS_LANGS.has(lang.toLowerCase()) && !/\bnocompile\b/.test(rest)) {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      out.push({ file, line: i + 2, code: body.join('\n') });
    }
    i = end;
  }
  return out;
}

/** Markdown files whose snippets must compile: docs/** (not docs/api), README.md, packages/* and examples/* READMEs. */
export function docFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'api' && name !== 'node_modules') walk(path);
      } else if (name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  for (const top of ['packages', 'examples']) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const readme = join(dir, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  for (const readme of [join(root, 'README.md'), join(root, 'examples', 'README.md')]) {
    if (existsSync(readme) && !files.includes(readme)) files.push(readme);
  }
  return files;
}

/** Compiler options of the repo (tsconfig.json), for checking only. */
function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, skipLibCheck: true, incremental: false, composite: false };
}

/**
 * Type-checks snippets in one program. Each becomes `<file>.snippet-<line>.ts` beside its Markdown file, with an
 * `export {}` appended so it is a module (top-level await allowed, names do not clash across snippets).
 */
export function checkSnippets(snippets: readonly Snippet[], root: string): SnippetError[] {
  const options = compilerOptions(root);
  const virtual = new Map<string, Snippet>();
  for (const s of snippets) virtual.set(resolve(`${s.file}.snippet-${s.line}.ts`), s);
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => {
    const s = virtual.get(resolve(f));
    return s ? `${s.code}\nexport {};\n` : readFile.call(host, f);
  };
  host.getSourceFile = (f, lang, onError, create) => {
    const s = virtual.get(resolve(f));
    return s
      ? ts.createSourceFile(f, `${s.code}\nexport {};\n`, lang, true, ts.ScriptKind.TS)
      : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const errors: SnippetError[] = [];
  for (const [path, snippet] of virtual) {
    const sf = program.getSourceFile(path);
    if (!sf) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      const pos = d.start === undefined ? { line: 0, character: 0 } : sf.getLineAndCharacterOfPosition(d.start);
      errors.push({
        file: relative(root, snippet.file),
        line: snippet.line + pos.line,
        column: pos.character + 1,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      });
    }
  }
  return errors;
}

/** All snippets of the repo's docs. */
export function repoSnippets(root: string): Snippet[] {
  return docFiles(root).flatMap((file) => extractSnippets(readFileSync(file, 'utf8'), file));
}

/** `file:line:col message` lines, one per error. */
export function formatSnippetErrors(errors: readonly SnippetError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`).join('\n');
}

export const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

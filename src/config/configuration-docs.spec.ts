import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONFIGS, RATE_LIMITS } from './configuration.js';
import { declaredVariables, type FeatureConfig } from './feature-config.js';

const RATE_LIMITS_TITLE = 'Rate limits';

/** Each `## section` of docs/configuration.md → its table rows: variable → default cell. */
function documentedSections(): Map<string, Map<string, string>> {
  const text = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      current = new Map();
      sections.set(heading[1]!.trim(), current);
      continue;
    }
    const row = /^\| `([A-Z][A-Z0-9_]*)` *\| *([^|]*?) *\|/.exec(line);
    if (row) {
      expect(current, `${row[1]} has a row before any section`).toBeDefined();
      current?.set(row[1]!, row[2]!);
    }
  }
  return sections;
}

/** How the page writes a default: the value in backticks, or that there is none. */
function asDocumented(value: unknown): string {
  if (value === undefined) return '_(unset)_';
  if (value === '') return '_(empty)_';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function declaredDefaults(feature: FeatureConfig): Map<string, string> {
  if (!feature.variables) return new Map();
  const defaults = new feature.variables() as Record<string, unknown>;
  return new Map(
    declaredVariables(feature.variables).map((name) => [name, asDocumented(defaults[name])]),
  );
}

describe('docs/configuration.md', () => {
  const sections = documentedSections();

  it.each(
    (FEATURE_CONFIGS as readonly FeatureConfig[])
      .filter((feature) => feature.variables)
      .map((feature) => [feature.title, feature] as const),
  )('documents every variable of %s, with its default, in its own section', (title, feature) => {
    expect(Object.fromEntries(sections.get(title) ?? [])).toEqual(
      Object.fromEntries(declaredDefaults(feature)),
    );
  });

  it('documents every rate limit, with its default, in one table', () => {
    const declared = Object.values(RATE_LIMITS).map((limit) => [
      limit.variable,
      asDocumented(limit.default),
    ]);
    expect(Object.fromEntries(sections.get(RATE_LIMITS_TITLE) ?? [])).toEqual(
      Object.fromEntries(declared),
    );
  });

  it('has no table of variables that no feature declares', () => {
    const titles = new Set([...FEATURE_CONFIGS.map((feature) => feature.title), RATE_LIMITS_TITLE]);
    const strays = [...sections].filter(([title, rows]) => rows.size > 0 && !titles.has(title));
    expect(strays.map(([title]) => title)).toEqual([]);
  });
});

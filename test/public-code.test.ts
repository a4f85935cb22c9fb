import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The public-sector conventions (issue 6, item 9) stay consistent with each other and with the
// release: licence text, publiccode.yml, changelog and package.json tell the same story.

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json'));

describe('publiccode.yml (standard 0.4)', () => {
  const doc = parse(read('publiccode.yml'));

  it('has the required fields with valid values', () => {
    expect(doc.publiccodeYmlVersion).toBe('0.4');
    expect(doc.name).toBe('KoBi Data Hub');
    expect(new URL(doc.url).protocol).toBe('https:');
    expect(doc.platforms.length).toBeGreaterThan(0);
    expect(doc.categories.length).toBeGreaterThan(0);
    // The standard's vocabularies (the part this file uses must come from them).
    const categories = ['business-intelligence', 'data-analytics', 'data-collection', 'data-visualization', 'knowledge-management', 'reporting-issues'];
    expect(doc.categories.filter((c: string) => !categories.includes(c))).toEqual([]);
    expect(['concept', 'development', 'beta', 'stable', 'obsolete']).toContain(doc.developmentStatus);
    expect(['standalone/mobile', 'standalone/iot', 'standalone/desktop', 'standalone/web', 'standalone/backend', 'standalone/other', 'addon', 'library', 'configurationFiles']).toContain(doc.softwareType);
    expect(['internal', 'contract', 'community', 'none']).toContain(doc.maintenance.type);
    if (['internal', 'contract'].includes(doc.maintenance.type)) expect(doc.maintenance.contacts[0].name).toBeTruthy();
    expect(typeof doc.localisation.localisationReady).toBe('boolean');
    expect(doc.localisation.availableLanguages).toEqual(expect.arrayContaining(['de', 'en']));
    expect(doc.dependsOn.open.map((d: { name: string }) => d.name)).toContain('PostgreSQL');
    // No country extension of another country (the Italian `it` section) in a German project.
    expect(doc.it).toBeUndefined();
  });

  it('describes the software in German and English within the standard\'s lengths', () => {
    for (const lang of ['de', 'en']) {
      const d = doc.description[lang];
      expect(d.shortDescription.length, `${lang} shortDescription`).toBeLessThanOrEqual(150);
      expect(d.longDescription.length, `${lang} longDescription`).toBeGreaterThanOrEqual(150);
      expect(d.longDescription.length, `${lang} longDescription`).toBeLessThanOrEqual(10_000);
      expect(d.features.length).toBeGreaterThan(0);
      for (const f of d.features) expect(f.length, f).toBeLessThanOrEqual(100);
    }
  });

  it('names the version, date and licence of the release that package.json and CHANGELOG.md name', () => {
    expect(doc.softwareVersion).toBe(pkg.version);
    expect(doc.legal.license).toBe(pkg.license);
    const release = new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - (\\d{4}-\\d{2}-\\d{2})$`, 'm').exec(read('CHANGELOG.md'));
    expect(release, `CHANGELOG.md has a section for ${pkg.version}`).not.toBeNull();
    expect(String(doc.releaseDate)).toBe(release![1]);
    // The released schema of that version is the baseline of the compatibility check.
    expect(fs.existsSync(path.join(root, 'releases', `${pkg.version}.graphql`))).toBe(true);
  });
});

describe('licence, changelog, security policy', () => {
  it('LICENSE is the full EUPL v. 1.2, as package.json says', () => {
    const text = read('LICENSE');
    expect(pkg.license).toBe('EUPL-1.2');
    expect(text).toMatch(/^\s*EUROPEAN UNION PUBLIC LICENCE v\. 1\.2\n/);
    for (let article = 1; article <= 15; article++) expect(text).toMatch(new RegExp(`^\\s+${article}\\. \\S`, 'm'));
    expect(text).toContain("'Compatible Licences' according to Article 5 EUPL are:");
  });

  it('CHANGELOG.md keeps an Unreleased section above the releases', () => {
    const headings = [...read('CHANGELOG.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('[Unreleased]');
    expect(headings.slice(1).every((h) => /^\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/.test(h))).toBe(true);
  });

  it('SECURITY.md says how to report privately, which versions are supported, and what is in scope', () => {
    const text = read('SECURITY.md');
    for (const heading of ['## How to report a vulnerability', '## Supported versions', '## Scope']) expect(text).toContain(heading);
  });
});

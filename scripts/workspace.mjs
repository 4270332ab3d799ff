import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every workspace package folder, from pnpm-workspace.yaml's `packages:` (`group/*` globs and plain folders). */
export function workspaceDirs(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const list = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
  const patterns = [...list.matchAll(/^\s+-\s+['"]?([^'"\n]+?)['"]?\s*$/gm)].map((match) => match[1]);
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return existsSync(join(root, pattern, 'package.json')) ? [pattern] : [];
    const group = pattern.slice(0, -2);
    if (!existsSync(join(root, group))) return [];
    return readdirSync(join(root, group))
      .map((name) => `${group}/${name}`)
      .filter((dir) => existsSync(join(root, dir, 'package.json')));
  });
}

/**
 * The one `pnpm deploy` command that makes an app's production bundle: infra/Dockerfile runs it
 * (`dockerfile.test.ts` holds it to this) and `production-bundle.test.ts` runs it on this machine.
 *
 * - `inject-workspace-packages=true` for this command only selects pnpm 10's lockfile-based deploy:
 *   it derives the bundle's lockfile from the workspace's, so the bundle gets exactly the locked
 *   versions, and every package it needs is already in the store `pnpm install --frozen-lockfile`
 *   filled. The workspace itself stays symlinked (the setting is not in .npmrc).
 * - `--offline` therefore holds on a machine that has never resolved this project: no registry
 *   metadata is needed (the `--legacy` deploy re-resolved the workspace packages' dependencies and
 *   needed that metadata cache).
 */
export function deployArgs(app: string, target: string): string[] {
  return ['deploy', '--config.inject-workspace-packages=true', `--filter=@skyway/${app}`, '--prod', '--offline', target];
}

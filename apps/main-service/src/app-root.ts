import { join } from 'node:path';

/**
 * The app's folder (`apps/main-service`), from the sources (tests) and from `dist/` alike: this
 * file sits one level below it in both. Files shipped beside the code (`public/`, `package.json`)
 * are found from here, also in the production bundle, which keeps the folder's layout.
 */
export const APP_ROOT = join(__dirname, '..');

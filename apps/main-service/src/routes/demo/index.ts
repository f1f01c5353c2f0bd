import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { join } from 'node:path';
import { APP_ROOT } from '../../app-root';

/** The demo page's files: plain HTML, CSS and a browser script, no build step. */
export const PUBLIC_DIR = join(APP_ROOT, 'public');

/**
 * The demo page at `/` (@fastify/static): a search form whose results stream in over SSE and a
 * live journey board, both using the public API like any frontend. One route per file found at
 * start (no wildcard), so an unknown path still gets the API's 404 envelope. The files are
 * revalidated on every load (ETag) rather than cached, so a redeploy is seen at once.
 */
const demoPage: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
    maxAge: 0,
    cacheControl: true,
  });
};

export default demoPage;

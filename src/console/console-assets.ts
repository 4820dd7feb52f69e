import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express from 'express';
import type { RequestHandler } from 'express';

function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) {
    dir = dirname(dir);
  }
  return dir;
}

/** Where `npm run build` writes the console (index.html, app.js, app.css). */
export const CONSOLE_DIR = join(projectRoot(__dirname), 'dist', 'console');

/**
 * Serves the built console at `/`. The files hold no data and need no token; everything they show comes from the
 * API with the Bearer token the user enters. Without a build (tests that never built it) nothing is served.
 */
export function consoleAssets(dir = CONSOLE_DIR): RequestHandler {
  return express.static(dir, {
    index: 'index.html',
    fallthrough: true,
    redirect: false,
    // The bundle's names do not change between builds, so the browser revalidates each time (ETag) but never
    // runs a stale bundle.
    cacheControl: true,
    maxAge: 0,
  });
}

/**
 * Helmet's Content-Security-Policy, tightened for the console: scripts, styles and connections only from this
 * service, no inline code of any kind, no framing.
 */
export const CONSOLE_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  upgradeInsecureRequests: null,
};

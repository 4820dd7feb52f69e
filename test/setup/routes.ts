import { INestApplication } from '@nestjs/common';

export interface RegisteredRoute {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the Express router actually holds, read from the running app rather than listed by hand. */
export function listRoutes(app: INestApplication): RegisteredRoute[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: Layer[] };
    _router?: { stack: Layer[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes: RegisteredRoute[] = [];
  for (const layer of stack) {
    if (!layer.route) {
      continue;
    }
    const methods = Object.entries(layer.route.methods);
    // Middleware mounted for every method (request logging, the 404 fallback) is not a route.
    if (methods.length > 5) {
      continue;
    }
    for (const [method, on] of methods) {
      if (on && ['get', 'post', 'patch', 'put', 'delete'].includes(method)) {
        routes.push({ method: method as RegisteredRoute['method'], path: layer.route.path });
      }
    }
  }
  return routes;
}

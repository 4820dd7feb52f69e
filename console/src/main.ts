import './app.css';
import { request, ApiError } from './api';
import { button, h, replace } from './dom';
import { Role, session } from './session';
import { errorBox } from './ui';
import { renderOverview } from './views/overview';
import { renderIntegrations } from './views/integrations';
import { renderSyncHistory } from './views/sync-history';
import { renderAlerts } from './views/alerts';
import { renderAlertDetail } from './views/alert-detail';
import { renderDeliveries } from './views/deliveries';
import { renderDestinations } from './views/destinations';

/** A screen draws into `main` and returns a function that stops its timers when the user leaves it. */
export type Screen = (main: HTMLElement, params: URLSearchParams, path: string[]) => (() => void) | void;

const SCREENS: { path: string; title: string; render: Screen; nav: boolean }[] = [
  { path: 'overview', title: 'Overview', render: renderOverview, nav: true },
  { path: 'integrations', title: 'Integrations', render: renderIntegrations, nav: true },
  { path: 'sync-history', title: 'Sync history', render: renderSyncHistory, nav: true },
  { path: 'alerts', title: 'Alerts', render: renderAlerts, nav: true },
  { path: 'alert', title: 'Alert', render: renderAlertDetail, nav: false },
  { path: 'deliveries', title: 'Deliveries', render: renderDeliveries, nav: true },
  { path: 'destinations', title: 'Destinations', render: renderDestinations, nav: true },
];

const root = document.getElementById('app') as HTMLElement;
let leave: (() => void) | void = undefined;

function route(): void {
  if (typeof leave === 'function') {
    leave();
  }
  leave = undefined;
  if (session.token() === null) {
    renderSignIn();
    return;
  }
  const [pathPart, queryPart = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const path = pathPart
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const screen = SCREENS.find((s) => s.path === path[0]) ?? SCREENS[0];
  const main = h('main', { id: 'main-content', tabindex: '-1' });
  const skip = h('a', { class: 'skip', href: '#main-content' }, 'Skip to content');
  // The hash is the router's: skipping moves focus without changing it.
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  replace(root, skip, header(screen.path), main);
  document.title = `${screen.title} · Lacework connector`;
  leave = screen.render(main, new URLSearchParams(queryPart), path.slice(1));
  main.focus({ preventScroll: true });
}

function header(current: string): HTMLElement {
  const role = session.role() ?? 'viewer';
  return h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, 'Lacework connector'),
    h(
      'nav',
      { 'aria-label': 'Screens' },
      h(
        'ul',
        null,
        SCREENS.filter((s) => s.nav).map((s) =>
          h(
            'li',
            null,
            h('a', { href: `#/${s.path}`, 'aria-current': s.path === current ? 'page' : null }, s.title),
          ),
        ),
      ),
    ),
    h('span', { class: 'role' }, `Signed in as ${role}${role === 'viewer' ? ' (read only)' : ''}`),
    button('Sign out', () => {
      session.signOut();
      location.hash = '#/overview';
      route();
    }),
  );
}

function renderSignIn(): void {
  document.title = 'Sign in · Lacework connector';
  const input = h('input', {
    id: 'token',
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const message = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', null, 'Paste the admin or viewer API token of this service. It is kept in this tab only.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input),
    message,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(input.value.trim(), message);
  });
  replace(root, h('main', { id: 'main-content' }, form));
  input.focus();
}

async function signIn(token: string, message: HTMLElement): Promise<void> {
  message.replaceChildren();
  if (token === '') {
    message.replaceChildren(errorBox(new Error('Enter a token.')));
    return;
  }
  try {
    const res = await request('GET', '/session', undefined, token);
    const body = (await res.json()) as { role: Role | 'metrics' };
    if (body.role !== 'admin' && body.role !== 'viewer') {
      message.replaceChildren(
        errorBox(new Error('This token may only read /metrics: use the admin or viewer token.')),
      );
      return;
    }
    session.signIn(token, body.role);
    route();
  } catch (error) {
    const text =
      error instanceof ApiError && error.status === 401
        ? 'This token is not valid for this service. Check ADMIN_API_TOKEN or VIEWER_API_TOKEN.'
        : error instanceof ApiError && error.status === 403
          ? 'This token may only read /metrics: use the admin or viewer token.'
          : error instanceof ApiError && error.status === 429
            ? 'Too many failed sign-ins from this address: wait a minute and try again.'
            : undefined;
    message.replaceChildren(errorBox(text === undefined ? error : new Error(text)));
  }
}

window.addEventListener('hashchange', route);
route();

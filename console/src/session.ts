const TOKEN_KEY = 'lc.token';
const ROLE_KEY = 'lc.role';

export type Role = 'admin' | 'viewer';

/** The API token lives in sessionStorage only: never in a URL, a cookie or localStorage. */
export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  role(): Role | null {
    const role = sessionStorage.getItem(ROLE_KEY);
    return role === 'admin' || role === 'viewer' ? role : null;
  },
  isAdmin(): boolean {
    return this.role() === 'admin';
  },
  signIn(token: string, role: Role): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ROLE_KEY, role);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ROLE_KEY);
  },
};

import { createHash } from 'node:crypto';

const STYLE =
  `body{font-family:system-ui,sans-serif;color:#222;max-width:480px;margin:64px auto;padding:0 24px}` +
  `h1{font-size:22px}button{font:inherit;background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:12px 20px;cursor:pointer}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The page the mailed verification link opens. Following a link must not change anything (mail
 * scanners prefetch links, which used to verify squatters' accounts for them): the page only
 * shows a button whose form POSTs the token to the same path. Self-contained: no script, no
 * external resource; the CSP allows its one inline style (by hash) and form posts to this API,
 * plus the redirect to the front end that follows the POST (browsers check form-action on it).
 */
export function confirmationPage(token: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>Confirm your email address</title><style>${STYLE}</style></head>` +
    `<body><h1>Confirm your email address</h1><p>Press the button to confirm that this address is yours.</p>` +
    `<form method="post" action="verify-email"><input type="hidden" name="token" value="${escape(token)}">` +
    `<button type="submit">Confirm email address</button></form></body></html>`
  );
}

export function confirmationPageCsp(frontendUrl: string): string {
  const frontend = new URL(frontendUrl).origin;
  return ["default-src 'none'", `style-src 'sha256-${STYLE_HASH}'`, `form-action 'self' ${frontend}`, "base-uri 'none'", "frame-ancestors 'none'"].join('; ');
}

/** Debian's Chromium, never a downloaded build; flags for a root sandboxed machine with no internet. */
export const chromiumExecutable = '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

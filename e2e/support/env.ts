// Where the e2e suite finds the portal, the local tenant and its seed; set by `npm test`, and a
// missing one fails at once.

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e suite through \`npm test\``);
  return value;
}

export const portalUrl = required('PORTAL_URL');
export const tenantUrl = required('TENANT_URL');
export const tenantId = required('TENANT_ID');
export const seedPath = required('TENANT_SEED_PATH');

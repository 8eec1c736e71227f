/** The smallest environment the image's entrypoint accepts (render-config.js; proven by the image e2e test). */
export const MINIMAL_IMAGE_ENV: Readonly<Record<string, string>> = {
  MESHCENTRAL_URL: 'https://mesh.example.com',
  JWT_SECRET: 'x'.repeat(32),
  JWT_ISSUER: 'https://dash.example.com',
  JWT_AUDIENCE: 'meshcentral',
  POSTGRES_HOST: 'db.example.com',
  POSTGRES_USER: 'mesh',
  POSTGRES_PASSWORD: 'pw',
  POSTGRES_DB: 'dashboard',
};

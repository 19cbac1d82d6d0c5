// GraphQL-over-HTTP conformance audit (npm `graphql-http`) against a running server.
// Usage: node audit.mjs <graphql-url>
// Prints one JSON document: {"url", "results": [{id, name, level, status, reason?, response?}]}.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}

async function describe(response) {
  if (!response) return null;
  let body = null;
  try {
    body = (await response.clone().text()).slice(0, 500);
  } catch (error) {
    body = `<unreadable: ${error.message}>`;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  };
}

const results = [];
for (const result of await auditServer({ url })) {
  const entry = {
    id: result.id,
    name: result.name,
    level: result.name.split(' ')[0],
    status: result.status,
  };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.response = await describe(result.response);
  }
  results.push(entry);
}
process.stdout.write(JSON.stringify({ url, results }, null, 2) + '\n');

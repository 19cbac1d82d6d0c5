// A real JavaScript GraphQL client (Apollo Client 4 on Node) against a running server.
// Usage: node client.mjs <graphql-url> <password>
// Prints one JSON document with what each step returned; tests/external/test_js_client.py
// asserts on it. Steps: logIn as sales, a page of contacts with a nested relation,
// createContact, then as marketing the same page and its extensions.redactions.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { map } from 'rxjs';

const [url, password] = process.argv.slice(2);
if (!url || !password) {
  console.error('usage: node client.mjs <graphql-url> <password>');
  process.exit(2);
}

const LOG_IN = gql`
  mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) {
      ok
      accessToken
      me { email role }
    }
  }
`;

const CONTACTS = gql`
  query ContactsPage {
    contacts(first: 5) {
      totalCount
      nodes { id firstName email company { name } }
    }
  }
`;

const CREATE_CONTACT = gql`
  mutation CreateContact($input: CreateContactInput!) {
    createContact(input: $input) {
      contact { id firstName lastName email lifecycleStage }
    }
  }
`;

/* One Apollo client per signed-in user. The last link in front of HttpLink sees the
 * raw GraphQL response, so `extensions` (which Apollo's query results do not carry)
 * are recorded here per operation; a small link sets the bearer token. */
function makeClient(token) {
  const extensions = {};
  const httpStatus = {};
  const recordExtensions = new ApolloLink((operation, forward) =>
    forward(operation).pipe(
      map((result) => {
        extensions[operation.operationName] = result.extensions ?? null;
        const response = operation.getContext().response;
        if (response) httpStatus[operation.operationName] = response.status;
        return result;
      }),
    ),
  );
  const auth = new ApolloLink((operation, forward) => {
    if (token) {
      operation.setContext(({ headers = {} }) => ({
        headers: { ...headers, authorization: `Bearer ${token}` },
      }));
    }
    return forward(operation);
  });
  const client = new ApolloClient({
    link: ApolloLink.from([auth, recordExtensions, new HttpLink({ uri: url })]),
    cache: new InMemoryCache(),
    defaultOptions: {
      query: { fetchPolicy: 'no-cache', errorPolicy: 'all' },
      mutate: { fetchPolicy: 'no-cache', errorPolicy: 'all' },
    },
  });
  return { client, extensions, httpStatus };
}

function plainErrors(result) {
  const error = result.error;
  if (!error) return [];
  return (error.errors ?? [error]).map((e) => ({ message: e.message, extensions: e.extensions }));
}

async function signIn(email) {
  const { client, httpStatus } = makeClient(null);
  const result = await client.mutate({ mutation: LOG_IN, variables: { email, password } });
  const errors = plainErrors(result);
  if (errors.length || !result.data?.logIn?.accessToken) {
    throw new Error(`logIn as ${email} failed: ${JSON.stringify(errors)}`);
  }
  return { token: result.data.logIn.accessToken, me: result.data.logIn.me, status: httpStatus.LogIn };
}

const out = { url, client: '@apollo/client' };

// 1. sales: sign in, a page of contacts with the company relation, create a contact.
const sales = await signIn('sales@acme.example');
out.salesLogIn = { me: sales.me, status: sales.status, tokenLength: sales.token.length };
const salesClient = makeClient(sales.token);
const page = await salesClient.client.query({ query: CONTACTS });
out.salesContacts = {
  data: page.data,
  errors: plainErrors(page),
  extensions: salesClient.extensions.ContactsPage,
  status: salesClient.httpStatus.ContactsPage,
};

const stamp = Date.now().toString(36);
const input = {
  firstName: 'Ada',
  lastName: `Client-${stamp}`,
  email: `ada.${stamp}@client.example`,
  lifecycleStage: 'LEAD',
};
const created = await salesClient.client.mutate({
  mutation: CREATE_CONTACT,
  variables: { input },
});
out.createContact = {
  input,
  data: created.data,
  errors: plainErrors(created),
  extensions: salesClient.extensions.CreateContact,
  status: salesClient.httpStatus.CreateContact,
};

// 2. marketing: the same page; values without marketing consent come back null and
// are listed in extensions.redactions.
const marketing = await signIn('marketing@acme.example');
out.marketingLogIn = { me: marketing.me, status: marketing.status };
const marketingClient = makeClient(marketing.token);
const redacted = await marketingClient.client.query({ query: CONTACTS });
out.marketingContacts = {
  data: redacted.data,
  errors: plainErrors(redacted),
  extensions: marketingClient.extensions.ContactsPage,
  status: marketingClient.httpStatus.ContactsPage,
};

process.stdout.write(JSON.stringify(out, null, 2) + '\n');

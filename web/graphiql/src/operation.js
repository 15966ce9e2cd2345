// operationOf names the operation of query to run. GraphiQL updates its
// operation name a moment after the editor's text changes, so a request
// sent right after switching tabs can carry the previous tab's name, which
// the gateway rightly rejects ("operation ProductPage not found"). A name
// the document does not define is replaced: by the document's only
// operation, or by none (the gateway then asks for one by name).
import { Kind, parse } from 'graphql';

export function operationOf(query, name) {
  if (!name || typeof query !== 'string') return name;
  let names;
  try {
    names = parse(query, { noLocation: true })
      .definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
      .map((d) => d.name?.value);
  } catch {
    return name; // the gateway reports the syntax error
  }
  if (names.includes(name)) return name;
  return names.length === 1 && names[0] ? names[0] : undefined;
}

// withCurrentOperation returns fetcher sending each request with the
// operation name its document defines (operationOf).
export function withCurrentOperation(fetcher) {
  return (params, opts) => {
    if (!params?.operationName) return fetcher(params, opts);
    return fetcher({ ...params, operationName: operationOf(params.query, params.operationName) }, opts);
  };
}

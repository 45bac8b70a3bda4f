// The console's only way to the server: the same operations an SDK calls, in the same
// protocols, sent to /console/api/<service> with the session cookie and its CSRF token instead
// of a SigV4 signature. The server authorizes each call for the signed-in identity.

export const session = {
  signedIn: false,
  auth: "off",
  csrf: "",
  region: "us-east-1",
  identity: null,
  resetRequired: false,
};

const listeners = { signedOut: [] };

export function onSignedOut(listener) {
  listeners.signedOut.push(listener);
}

export class ApiError extends Error {
  constructor(type, message, status) {
    super(message || type);
    this.type = type;
    this.status = status;
  }
}

function regionHeader() {
  return { "X-Console-Region": session.region };
}

async function post(service, headers, body) {
  let response;
  try {
    response = await fetch(`/console/api/${service}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrf, ...regionHeader(), ...headers },
      body,
    });
  } catch (err) {
    throw new ApiError("NetworkError", "The server could not be reached.", 0);
  }
  const text = await response.text();
  if (response.status === 401) {
    const failure = errorOf(text, response.status);
    if (failure.type === "NotSignedIn") {
      session.signedIn = false;
      listeners.signedOut.forEach((listener) => listener(failure));
    }
    throw failure;
  }
  if (!response.ok) throw errorOf(text, response.status);
  return text;
}

function errorOf(text, status) {
  const trimmed = text.trim();
  if (trimmed.startsWith("<")) {
    const doc = new DOMParser().parseFromString(trimmed, "application/xml");
    const code = doc.querySelector("Error > Code");
    const message = doc.querySelector("Error > Message");
    return new ApiError(code ? code.textContent : "Error", message ? message.textContent : "", status);
  }
  try {
    const body = JSON.parse(trimmed);
    const type = String(body.__type || "Error").split("#").pop();
    const error = new ApiError(type, body.message || body.Message || "", status);
    // ReturnValuesOnConditionCheckFailure=ALL_OLD: the item as it is now, beside the error.
    if (body.Item) error.item = body.Item;
    return error;
  } catch (err) {
    return new ApiError("Error", trimmed || `HTTP ${status}`, status);
  }
}

async function jsonCall(service, target, body) {
  const text = await post(
    service,
    { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target },
    JSON.stringify(body || {}),
  );
  return text ? JSON.parse(text) : {};
}

/** A DynamoDB operation: `dynamodb("Scan", {TableName: "t"})` answers DynamoDB's JSON. */
export function dynamodb(operation, body) {
  return jsonCall("dynamodb", `DynamoDB_20120810.${operation}`, body);
}

/** A DynamoDB Streams operation (DescribeStream, GetShardIterator, GetRecords, ListStreams). */
export function streams(operation, body) {
  return jsonCall("dynamodb", `DynamoDBStreams_20120810.${operation}`, body);
}

/** A CloudWatch operation in its JSON protocol (GetMetricData, ListMetrics, DescribeAlarms…). */
export function cloudwatch(operation, body) {
  return jsonCall("monitoring", `GraniteServiceVersion20100801.${operation}`, body);
}

/** An IAM action in the Query protocol; the XML answer's <ActionResult> as plain objects
 * (`member` lists become arrays). */
export function iam(action, params) {
  return queryCall("iam", "2010-05-08", action, params);
}

async function queryCall(service, version, action, params) {
  const form = new URLSearchParams({ Action: action, Version: version });
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) form.append(name, String(value));
  }
  const text = await post(
    service,
    { "Content-Type": "application/x-www-form-urlencoded" },
    form.toString(),
  );
  const doc = new DOMParser().parseFromString(text, "application/xml");
  const result = doc.documentElement.querySelector(`${action}Result`);
  return result ? xmlObject(result) : {};
}

function xmlObject(element) {
  const children = Array.from(element.children);
  if (children.length === 0) return element.textContent;
  if (children.every((child) => child.tagName === "member")) {
    return children.map(xmlObject);
  }
  const out = {};
  for (const child of children) out[child.tagName] = xmlObject(child);
  return out;
}

// --- the session ------------------------------------------------------------------------

function adopt(described) {
  session.signedIn = Boolean(described.SignedIn);
  session.auth = described.Auth || session.auth;
  session.csrf = described.Csrf || "";
  session.identity = described.Identity || null;
  session.resetRequired = Boolean(described.ResetRequired);
  const remembered = sessionStorage.getItem("opendynamo-region");
  session.region = remembered || described.Region || session.region;
  return session;
}

export async function loadSession() {
  const response = await fetch("/console/api/session", { credentials: "same-origin" });
  return adopt(await response.json());
}

/** Sign in with {UserName, Password, Account} or {AccessKeyId, SecretAccessKey, SessionToken}. */
export async function signIn(form) {
  const response = await fetch("/console/api/signin", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...form, Region: session.region }),
  });
  const text = await response.text();
  if (!response.ok) throw errorOf(text, response.status);
  sessionStorage.removeItem("opendynamo-region");
  return adopt(JSON.parse(text));
}

export async function signOut() {
  await fetch("/console/api/signout", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": session.csrf },
  });
  session.signedIn = false;
  session.csrf = "";
  session.identity = null;
}

export function setRegion(region) {
  session.region = region;
  sessionStorage.setItem("opendynamo-region", region);
}

/** The names of every table of the region (ListTables, all pages). */
export async function tableNames() {
  const names = [];
  let start;
  do {
    const page = await dynamodb("ListTables", start ? { ExclusiveStartTableName: start } : {});
    names.push(...page.TableNames);
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

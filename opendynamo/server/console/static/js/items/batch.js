// BatchWriteItem in chunks of 25 (DynamoDB's limit per call), retrying UnprocessedItems with
// exponential backoff as AWS's SDKs do, for deleting many items and importing a file.

import { dynamodb } from "../api.js";

export const BATCH_SIZE = 25;
const RETRIES = 8;
const FIRST_WAIT_MS = 50;

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write up to 25 requests ({PutRequest} or {DeleteRequest}) of one table; resolves to the
 * requests DynamoDB still left unprocessed after the retries (usually none). A refused call
 * (ValidationException…) rejects with DynamoDB's error. */
export async function writeBatch(table, requests) {
  let pending = requests;
  for (let attempt = 0; pending.length && attempt <= RETRIES; attempt += 1) {
    if (attempt) await wait(FIRST_WAIT_MS * 2 ** (attempt - 1));
    const answer = await dynamodb("BatchWriteItem", { RequestItems: { [table]: pending } });
    pending = (answer.UnprocessedItems || {})[table] || [];
  }
  return pending;
}

/** Delete items by key, 25 per call: {deleted, failed} counts. */
export async function deleteKeys(table, keys, onProgress = () => {}) {
  let deleted = 0;
  let failed = 0;
  for (let i = 0; i < keys.length; i += BATCH_SIZE) {
    const chunk = keys.slice(i, i + BATCH_SIZE).map((Key) => ({ DeleteRequest: { Key } }));
    const left = await writeBatch(table, chunk);
    deleted += chunk.length - left.length;
    failed += left.length;
    onProgress(deleted, failed);
  }
  return { deleted, failed };
}

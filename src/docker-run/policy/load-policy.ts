import { readFileSync } from 'node:fs';
import { ValidationError, messageOf } from '../../core/errors.js';
import { getConfiguration } from '../../config/configuration.js';
import { parseWorkerPolicy, type WorkerPolicy, type WorkerPolicyInput } from './policy-schema.js';

/** Reads and validates a policy file (JSON); a bad file names the file and the field. */
export function loadPolicyFile(file: string): WorkerPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError('policy', file, `a readable policy file: ${messageOf(error)}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('policy', file, `a JSON policy file: ${messageOf(error)}`, { cause: error });
  }
  return parseWorkerPolicy(json, `policy(${file})`);
}

/** A policy given as a file name or as an object. */
export function resolvePolicy(policy: string | WorkerPolicyInput): WorkerPolicy {
  return typeof policy === 'string' ? loadPolicyFile(policy) : parseWorkerPolicy(policy);
}

/** The policy named by the configuration (`configure({ policy })`, LONGSHORE_WORKER_POLICY), if any. */
export function configuredPolicy(): WorkerPolicy | undefined {
  const file = getConfiguration().policy;
  return file === undefined ? undefined : loadPolicyFile(file);
}

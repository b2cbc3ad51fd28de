// The google.rpc.ErrorInfo and google.rpc.BadRequest details of a failed call, read from the
// grpc-status-details-bin trailer that Connect hands over as raw { type, value } details.
// Read with protobuf-es's own wire reader (field numbers from google/rpc/error_details.proto),
// so this library needs no generated googleapis code.
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ConnectError } from "@connectrpc/connect";

export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

export interface FieldViolation {
  field: string;
  description: string;
}

function rawDetails(error: ConnectError, typeName: string): Uint8Array[] {
  return error.details.flatMap((detail) =>
    "type" in detail && detail.type === typeName && detail.value instanceof Uint8Array ? [detail.value] : [],
  );
}

function stringPair(bytes: Uint8Array): [string, string] {
  const reader = new BinaryReader(bytes);
  const pair: [string, string] = ["", ""];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 || field === 2) {
      pair[field - 1] = reader.string();
    } else {
      reader.skip(wireType);
    }
  }
  return pair;
}

export function errorInfo(error: ConnectError): ErrorInfo | undefined {
  const [bytes] = rawDetails(error, "google.rpc.ErrorInfo");
  if (bytes === undefined) {
    return undefined;
  }
  const info: ErrorInfo = { reason: "", domain: "", metadata: {} };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) {
      info.reason = reader.string();
    } else if (field === 2) {
      info.domain = reader.string();
    } else if (field === 3) {
      const [key, value] = stringPair(reader.bytes());
      info.metadata[key] = value;
    } else {
      reader.skip(wireType);
    }
  }
  return info;
}

export function fieldViolations(error: ConnectError): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const bytes of rawDetails(error, "google.rpc.BadRequest")) {
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1) {
        const [name, description] = stringPair(reader.bytes());
        violations.push({ field: name, description });
      } else {
        reader.skip(wireType);
      }
    }
  }
  return violations;
}

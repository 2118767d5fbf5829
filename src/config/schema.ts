// The config file schema (draft-07). schemas/config.schema.json is the same schema for editors and other tools;
// edit both (test/unit/project.test.ts fails when they differ).
export const CONFIG_SCHEMA: Record<string, unknown> = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://github.com/iam-policy-gate/iam-policy-gate/schemas/config.schema.json",
  "title": ".iam-policy-gate.yml",
  "type": "object",
  "additionalProperties": false,
  "definitions": {
    "ruleAction": { "enum": ["fail", "warn", "off"] },
    "stringList": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "neverGrant": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "actions": { "$ref": "#/definitions/stringList" },
        "resources": { "$ref": "#/definitions/stringList" },
        "subjects": { "$ref": "#/definitions/stringList" }
      },
      "anyOf": [{ "required": ["actions"] }, { "required": ["resources"] }]
    },
    "source": {
      "type": "object",
      "minProperties": 1,
      "maxProperties": 4,
      "properties": {
        "path": { "type": "string", "minLength": 1 },
        "s3": { "type": "string", "pattern": "^s3://[^/]+(/.*)?$" },
        "accounts": { "type": "array", "items": { "type": "string", "pattern": "^[0-9]{12}$" } },
        "regions": { "$ref": "#/definitions/stringList" },
        "organization": { "type": "string", "pattern": "^o-[a-z0-9]{10,32}$" },
        "lookup-events": {
          "oneOf": [
            { "const": true },
            { "type": "object", "additionalProperties": false, "properties": { "regions": { "$ref": "#/definitions/stringList" } } }
          ]
        },
        "lake": { "type": "string", "pattern": "^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/.+$" },
        "results-bucket": { "type": "string", "minLength": 3 },
        "athena": {
          "type": "object",
          "additionalProperties": false,
          "required": ["table"],
          "properties": {
            "table": { "type": "string", "minLength": 1 },
            "database": { "type": "string" },
            "workgroup": { "type": "string" },
            "output-location": { "type": "string", "pattern": "^s3://" },
            "catalog": { "type": "string" }
          }
        }
      },
      "additionalProperties": false,
      "oneOf": [
        { "required": ["path"] },
        { "required": ["s3"] },
        { "required": ["lookup-events"] },
        { "required": ["lake"] },
        { "required": ["athena"] }
      ]
    }
  },
  "properties": {
    "policy-files": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "include": { "$ref": "#/definitions/stringList" },
        "exclude": { "$ref": "#/definitions/stringList" }
      }
    },
    "subjects": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["files"],
        "properties": {
          "files": { "type": "string", "minLength": 1 },
          "principal": { "type": "string", "pattern": "^arn:aws[a-z-]*:iam::([0-9]{12}|\\{[a-z_]+\\}):(role|user|group)/.+$" },
          "bucket": { "type": "string", "pattern": "^arn:aws[a-z-]*:s3:::.+$" },
          "kind": { "enum": ["identity", "trust", "bucket", "resource", "boundary"] }
        },
        "not": { "required": ["principal", "bucket"] }
      }
    },
    "rules": {
      "type": "object",
      "propertyNames": { "pattern": "^[A-Za-z0-9*?/_.:-]+$|^severity>=(critical|high|medium|low|info)$" },
      "additionalProperties": { "$ref": "#/definitions/ruleAction" }
    },
    "never-grant": {
      "oneOf": [
        { "$ref": "#/definitions/neverGrant" },
        { "type": "array", "items": { "$ref": "#/definitions/neverGrant" } }
      ]
    },
    "trusted-accounts": { "type": "array", "items": { "type": "string", "pattern": "^[0-9]{12}$" } },
    "cloudtrail": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "since": { "type": "string", "pattern": "^([0-9]{1,4}d|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+Z)?)$" },
        "until": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+Z)?$" },
        "scope": { "enum": ["subjects", "all"] },
        "sources": { "type": "array", "items": { "$ref": "#/definitions/source" } }
      }
    },
    "limits": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "max-file-bytes": { "type": "integer", "minimum": 1024, "maximum": 104857600 },
        "max-changed-files": { "type": "integer", "minimum": 1, "maximum": 100000 }
      }
    },
    "context": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "scps": { "$ref": "#/definitions/stringList" },
        "rcps": { "$ref": "#/definitions/stringList" },
        "boundaries": {
          "type": "array",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["subject", "file"],
            "properties": { "subject": { "type": "string" }, "file": { "type": "string" } }
          }
        }
      }
    },
    "waivers": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["rule", "reason", "expires"],
        "properties": {
          "rule": { "type": "string", "minLength": 1 },
          "files": { "type": "string" },
          "subject": { "type": "string" },
          "actions": { "$ref": "#/definitions/stringList" },
          "resources": { "$ref": "#/definitions/stringList" },
          "principals": { "$ref": "#/definitions/stringList" },
          "fingerprint": { "type": "string", "pattern": "^[0-9a-f]{16,64}$" },
          "reason": { "type": "string", "minLength": 10 },
          "expires": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
          "approved-by": { "type": "string" },
          "allow-wildcard": { "type": "boolean" }
        }
      }
    },
    "waiver-expiry": {
      "type": "object",
      "additionalProperties": false,
      "properties": { "warn-days": { "type": "integer", "minimum": 0, "maximum": 365 } }
    },
    "approvals": {
      "type": "object",
      "additionalProperties": false,
      "properties": { "label": { "type": "string", "minLength": 1, "maxLength": 50 } }
    },
    "access-analyzer": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "enabled": { "enum": ["auto", "on", "off"] },
        "region": { "type": "string" },
        "unused-access-analyzer": { "type": "string", "pattern": "^arn:aws[a-z-]*:access-analyzer:" }
      }
    },
    "cloudformation": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "account": { "type": "string", "pattern": "^[0-9]{12}$" },
        "region": { "type": "string" },
        "partition": { "type": "string" },
        "parameters": { "type": "object", "additionalProperties": { "type": "string" } }
      }
    },
    "least-privilege": {
      "type": "object",
      "additionalProperties": false,
      "description": "Suggested policies: allow = action patterns kept as currently granted even when unused; exclude = action patterns never suggested.",
      "properties": {
        "allow": { "$ref": "#/definitions/stringList" },
        "exclude": { "$ref": "#/definitions/stringList" }
      }
    }
  }
};

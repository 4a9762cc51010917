/*
 * A small JSON Schema (Draft 2020-12) validator for the keywords that schemas/*.json use, so that the pages check a
 * form with the very schemas the API checks it with. Formats are annotations here (as by default in 2020-12); the
 * server's FormatChecker still has the last word.
 *
 * Supported: type, enum, const, required, properties, additionalProperties, propertyNames, minProperties,
 * maxProperties, items,
 * minItems, maxItems, uniqueItems, minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, $ref (across documents by $id), allOf, anyOf, oneOf, not, boolean schemas.
 *
 * Errors are {pointer, keyword, message, params}; `pointer` is a JSON pointer into the instance, and for `required`
 * it points at the missing member (as the API's own error body does), so that a page can mark the right field.
 */
(function (global) {
  "use strict";

  var SUPPORTED = ["$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "default", "examples",
    "type", "enum", "const", "required", "properties", "additionalProperties", "propertyNames", "minProperties",
    "maxProperties",
    "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "allOf", "anyOf", "oneOf", "not", "format", "deprecated", "readOnly",
    "writeOnly"];

  function escapeToken(token) {
    return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
  }

  function unescapeToken(token) {
    return token.replace(/~1/g, "/").replace(/~0/g, "~");
  }

  function typeOf(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
  }

  function hasType(value, type) {
    var actual = typeOf(value);
    if (type === "number") return actual === "number" || actual === "integer";
    return actual === type;
  }

  function deepEqual(a, b) {
    if (a === b) return true;
    var ta = typeOf(a), tb = typeOf(b);
    if ((ta === "integer" || ta === "number") && (tb === "integer" || tb === "number")) return a === b;
    if (ta !== tb) return false;
    if (ta === "array") {
      if (a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
      return true;
    }
    if (ta === "object") {
      var ka = Object.keys(a), kb = Object.keys(b);
      if (ka.length !== kb.length) return false;
      for (var j = 0; j < ka.length; j++) {
        if (!Object.prototype.hasOwnProperty.call(b, ka[j]) || !deepEqual(a[ka[j]], b[ka[j]])) return false;
      }
      return true;
    }
    return false;
  }

  function codePoints(text) {
    return Array.from(text).length;
  }

  var patternCache = {};
  function regex(pattern) {
    if (!patternCache[pattern]) {
      try {
        patternCache[pattern] = new RegExp(pattern, "u");
      } catch (e) {
        patternCache[pattern] = new RegExp(pattern);
      }
    }
    return patternCache[pattern];
  }

  function stripFragment(uri) {
    var hash = uri.indexOf("#");
    return hash < 0 ? uri : uri.slice(0, hash);
  }

  function Validator(documents) {
    this.documents = {};
    var list = Array.isArray(documents) ? documents : Object.keys(documents).map(function (k) { return documents[k]; });
    for (var i = 0; i < list.length; i++) {
      var doc = list[i];
      if (!doc || !doc.$id) throw new Error("every schema needs an $id");
      this.documents[stripFragment(doc.$id)] = doc;
    }
  }

  Validator.prototype.schemaFor = function (nameOrId) {
    for (var id in this.documents) {
      if (id === nameOrId || id.slice(-(nameOrId.length + 1)) === "/" + nameOrId) return { schema: this.documents[id], base: id };
    }
    throw new Error("unknown schema " + nameOrId);
  };

  Validator.prototype.resolve = function (ref, base) {
    var absolute = new URL(ref, base).href;
    var docId = stripFragment(absolute);
    var doc = this.documents[docId];
    if (!doc) throw new Error("cannot resolve $ref " + ref + " from " + base);
    var fragment = absolute.indexOf("#") >= 0 ? decodeURIComponent(absolute.slice(absolute.indexOf("#") + 1)) : "";
    var target = doc;
    if (fragment) {
      if (fragment.charAt(0) !== "/") throw new Error("only JSON-pointer fragments are supported: " + ref);
      var parts = fragment.slice(1).split("/");
      for (var i = 0; i < parts.length; i++) {
        target = target[unescapeToken(parts[i])];
        if (target === undefined) throw new Error("$ref " + ref + " points at nothing");
      }
    }
    return { schema: target, base: docId };
  };

  /** Every error for `instance` against the named schema ("signup" or "signup.json" or its $id). */
  Validator.prototype.validate = function (name, instance) {
    var found = this.schemaFor(/\.json$/.test(name) || /^https?:/.test(name) ? name : name + ".json");
    var errors = [];
    this.check(found.schema, found.base, instance, "", errors);
    return dedupe(errors);
  };

  function dedupe(errors) {
    var seen = {}, out = [];
    for (var i = 0; i < errors.length; i++) {
      var key = errors[i].pointer + "\u0000" + errors[i].message;
      if (!seen[key]) { seen[key] = true; out.push(errors[i]); }
    }
    return out;
  }

  function error(pointer, keyword, message, params) {
    return { pointer: pointer, keyword: keyword, message: message, params: params || {} };
  }

  Validator.prototype.check = function (schema, base, value, pointer, errors) {
    if (schema === true) return;
    if (schema === false) { errors.push(error(pointer, "false", "is not allowed")); return; }
    if (typeof schema !== "object" || schema === null) throw new Error("not a schema at " + pointer);
    if (schema.$id) base = stripFragment(new URL(schema.$id, base).href);
    for (var key in schema) {
      if (SUPPORTED.indexOf(key) < 0 && key.slice(0, 2) !== "x-") throw new Error("unsupported keyword " + key);
    }
    var self = this, i;

    if (schema.$ref !== undefined) {
      var target = this.resolve(schema.$ref, base);
      this.check(target.schema, target.base, value, pointer, errors);
    }

    if (schema.type !== undefined) {
      var types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.some(function (t) { return hasType(value, t); })) {
        errors.push(error(pointer, "type", "must be " + types.join(" or "), { type: types }));
        return; // the other keywords would only repeat the same complaint
      }
    }
    if (schema.enum !== undefined && !schema.enum.some(function (option) { return deepEqual(option, value); })) {
      errors.push(error(pointer, "enum", "must be one of " + schema.enum.join(", "), { allowed: schema.enum }));
    }
    if (schema.const !== undefined && !deepEqual(schema.const, value)) {
      errors.push(error(pointer, "const", "must be " + JSON.stringify(schema.const), { value: schema.const }));
    }

    var t = typeOf(value);
    if (t === "string") {
      var length = codePoints(value);
      if (schema.minLength !== undefined && length < schema.minLength) {
        errors.push(error(pointer, "minLength", schema.minLength === 1 ? "must not be empty"
          : "must be at least " + schema.minLength + " characters", { limit: schema.minLength }));
      }
      if (schema.maxLength !== undefined && length > schema.maxLength) {
        errors.push(error(pointer, "maxLength", "must be " + schema.maxLength + " characters or fewer",
          { limit: schema.maxLength }));
      }
      if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) {
        errors.push(error(pointer, "pattern", "is not in the right format", { pattern: schema.pattern }));
      }
    }
    if (t === "number" || t === "integer") {
      if (schema.minimum !== undefined && value < schema.minimum) {
        errors.push(error(pointer, "minimum", "must be " + schema.minimum + " or more", { limit: schema.minimum }));
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        errors.push(error(pointer, "maximum", "must be " + schema.maximum + " or less", { limit: schema.maximum }));
      }
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
        errors.push(error(pointer, "exclusiveMinimum", "must be more than " + schema.exclusiveMinimum));
      }
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
        errors.push(error(pointer, "exclusiveMaximum", "must be less than " + schema.exclusiveMaximum));
      }
    }
    if (t === "array") {
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        errors.push(error(pointer, "minItems", schema.minItems === 1 ? "choose at least one"
          : "must have at least " + schema.minItems + " items", { limit: schema.minItems }));
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        errors.push(error(pointer, "maxItems", "must have at most " + schema.maxItems + " items",
          { limit: schema.maxItems }));
      }
      if (schema.uniqueItems) {
        outer: for (i = 0; i < value.length; i++) {
          for (var j = 0; j < i; j++) {
            if (deepEqual(value[i], value[j])) {
              errors.push(error(pointer, "uniqueItems", "must not list the same item twice"));
              break outer;
            }
          }
        }
      }
      if (schema.items !== undefined) {
        for (i = 0; i < value.length; i++) this.check(schema.items, base, value[i], pointer + "/" + i, errors);
      }
    }
    if (t === "object") {
      var keys = Object.keys(value);
      if (schema.required) {
        schema.required.forEach(function (name) {
          if (!Object.prototype.hasOwnProperty.call(value, name)) {
            errors.push(error(pointer + "/" + escapeToken(name), "required", "is required", { missing: name }));
          }
        });
      }
      if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
        errors.push(error(pointer, "minProperties", "must have at least " + schema.minProperties + " fields"));
      }
      if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
        errors.push(error(pointer, "maxProperties", "must have at most " + schema.maxProperties + " fields"));
      }
      if (schema.propertyNames !== undefined) {
        // A name that does not fit is reported at the object itself, as the API's jsonschema reports it.
        keys.forEach(function (name) {
          var nameErrors = [];
          self.check(schema.propertyNames, base, name, pointer, nameErrors);
          if (nameErrors.length) errors.push(error(pointer, "propertyNames", "has a field name that is not allowed: " + name));
        });
      }
      var props = schema.properties || {};
      keys.forEach(function (name) {
        var child = pointer + "/" + escapeToken(name);
        if (Object.prototype.hasOwnProperty.call(props, name)) {
          self.check(props[name], base, value[name], child, errors);
        } else if (schema.additionalProperties === false) {
          errors.push(error(child, "additionalProperties", "is not a recognised field"));
        } else if (schema.additionalProperties !== undefined) {
          self.check(schema.additionalProperties, base, value[name], child, errors);
        }
      });
    }

    if (schema.allOf) {
      schema.allOf.forEach(function (sub) { self.check(sub, base, value, pointer, errors); });
    }
    if (schema.anyOf) {
      var anyResults = schema.anyOf.map(function (sub) { return self.branch(sub, base, value, pointer); });
      if (!anyResults.some(function (r) { return r.length === 0; })) {
        Array.prototype.push.apply(errors, closest(anyResults));
      }
    }
    if (schema.oneOf) {
      var oneResults = schema.oneOf.map(function (sub) { return self.branch(sub, base, value, pointer); });
      var passing = oneResults.filter(function (r) { return r.length === 0; }).length;
      if (passing === 0) {
        Array.prototype.push.apply(errors, closest(oneResults));
      } else if (passing > 1) {
        errors.push(error(pointer, "oneOf", "matches more than one of the allowed forms"));
      }
    }
    if (schema.not !== undefined && this.branch(schema.not, base, value, pointer).length === 0) {
      errors.push(error(pointer, "not", "combines fields that cannot be sent together"));
    }
  };

  Validator.prototype.branch = function (schema, base, value, pointer) {
    var errors = [];
    this.check(schema, base, value, pointer, errors);
    return errors;
  };

  // When no branch of anyOf/oneOf fits, report the branch that came closest (fewest errors; the first on a tie)
  // rather than "matches none of the options", which nobody can act on.
  function closest(results) {
    var best = results[0];
    for (var i = 1; i < results.length; i++) if (results[i].length < best.length) best = results[i];
    return best;
  }

  var api = { Validator: Validator, escapePointerToken: escapeToken, deepEqual: deepEqual };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  global.HexwatchSchema = api;
})(typeof window !== "undefined" ? window : globalThis);

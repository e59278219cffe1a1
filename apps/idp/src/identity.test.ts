import { describe, expect, it } from "vitest";

import { createAccountStore, parseEmail, toEmailSubject } from "./identity.ts";

describe("parseEmail", () => {
  it("accepts plain addresses and case-folds them", () => {
    expect(parseEmail("dev@example.test")).toBe("dev@example.test");
    expect(parseEmail("First.Last+tag@Sub.Example.ORG")).toBe("first.last+tag@sub.example.org");
  });

  it("rejects odd addresses with ERR_IDP_BAD_REQUEST", () => {
    for (const odd of ["", " dev@example.test", "dev@example.test ", ".dev@example.test", "dev.@example.test", "dev@-example.test", "dev@example-.test",
      "dev@example.t", "dev@example.123", "dev@[127.0.0.1]", '"dev"@example.test', "dev@exa_mple.test", "dev@example..test", "@example.test", "dev@"]) {
      expect(() => parseEmail(odd), odd).toThrow(expect.objectContaining({ code: "ERR_IDP_BAD_REQUEST" }));
    }
  });
});

describe("toEmailSubject", () => {
  it("is stable and distinct per address", () => {
    expect(toEmailSubject("dev@example.test")).toBe(toEmailSubject("dev@example.test"));
    expect(toEmailSubject("dev@example.test")).not.toBe(toEmailSubject("dev2@example.test"));
    expect(toEmailSubject("dev@example.test")).toMatch(/^email-[0-9a-f]{32}$/);
  });
});

describe("createAccountStore", () => {
  it("finds remembered accounts and evicts the oldest past its bound", () => {
    const store = createAccountStore(2);
    const a = store.remember("a@example.test");
    const b = store.remember("b@example.test");
    expect(store.find(a.accountId)?.email).toBe("a@example.test");
    store.remember("a@example.test");
    store.remember("c@example.test");
    expect(store.find(b.accountId)).toBeUndefined();
    expect(store.find(a.accountId)?.email).toBe("a@example.test");
  });
});

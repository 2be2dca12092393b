// The bundle's entry: fengari's API and the three internal modules lib/scripting/fengari.ts patches.
export * as fengari from "npm:fengari@0.1.5";
export { default as lobject } from "npm:fengari@0.1.5/src/lobject.js";
export { default as lstring } from "npm:fengari@0.1.5/src/lstring.js";
export { default as lvm } from "npm:fengari@0.1.5/src/lvm.js";

export * from './reel-error.js';
export * from './suggest.js';

/** Copies the models project's sources (no target/ or .reel/) into `dest`; returns `dest`. */
export function copyModelsProject(dest: string): string;
export const modelsProjectDir: string;

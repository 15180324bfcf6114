import { XMLBuilder } from 'fast-xml-parser';
import type { CompiledProject } from '../compile.js';
import type { NodeResult } from '../execute/execute-plan.js';

/**
 * target/junit.xml: one test suite per resource type (tests, models, seeds …), one test case per
 * node run, in the JUnit XML shape CI systems (GitHub, GitLab, Jenkins, Azure) show as test reports.
 * A failing data test carries its failing-row count and where it is declared.
 */
export function junitReport(compiled: CompiledProject, results: readonly NodeResult[], elapsedSeconds: number): string {
  const suites = new Map<string, NodeResult[]>();
  for (const result of results) {
    const kind = compiled.graph.nodes.get(result.uniqueId)?.kind ?? 'node';
    suites.set(kind, [...(suites.get(kind) ?? []), result]);
  }
  const count = (list: readonly NodeResult[], ...statuses: string[]) => list.filter((r) => statuses.includes(r.status)).length;
  const project = compiled.project.settings.name;
  const testsuite = [...suites].map(([kind, list]) => ({
    '@_name': `${project}.${kind}`,
    '@_tests': list.length,
    '@_failures': count(list, 'fail'),
    '@_errors': count(list, 'error'),
    '@_skipped': count(list, 'skipped'),
    '@_time': seconds(list.reduce((sum, r) => sum + r.executionTime, 0)),
    testcase: list.map((result) => {
      const node = compiled.graph.nodes.get(result.uniqueId);
      const where = node ? `${node.file}:${node.line}` : result.uniqueId;
      const testcase: Record<string, unknown> = {
        '@_classname': `${project}.${kind}${node && 'folder' in node && node.folder ? '.' + node.folder.replaceAll('/', '.') : ''}`,
        '@_name': node?.name ?? result.uniqueId,
        '@_file': node?.file,
        '@_line': node?.line,
        '@_time': seconds(result.executionTime),
      };
      if (result.status === 'fail') {
        testcase.failure = { '@_message': `${result.failures ?? 0} failing row${result.failures === 1 ? '' : 's'}`, '@_type': 'fail', '#text': `${result.message}\n${where}` };
      } else if (result.status === 'error') {
        testcase.error = { '@_message': result.error?.message ?? result.message, '@_type': 'error', '#text': result.error ? result.error.toString() : result.message };
      } else if (result.status === 'skipped') {
        testcase.skipped = { '@_message': result.message };
      } else if (result.status === 'warn') {
        testcase['system-out'] = `WARN: ${result.message} (${where})`;
      }
      return testcase;
    }),
  }));
  const builder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true });
  const body = builder.build({
    testsuites: {
      '@_name': project,
      '@_tests': results.length,
      '@_failures': count(results, 'fail'),
      '@_errors': count(results, 'error'),
      '@_skipped': count(results, 'skipped'),
      '@_time': seconds(elapsedSeconds),
      testsuite,
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

const seconds = (n: number) => n.toFixed(3);

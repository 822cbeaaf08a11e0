import type { ToolDefinition } from '@briefcase/core';
import type { ToolProvider, ToolSpec } from './types.js';

const builtin = (definition: Omit<ToolDefinition, 'source'>): ToolDefinition => ({
  ...definition,
  source: { kind: 'builtin' },
});

const FORTUNES = [
  'A receipt in time saves nine.',
  'The safest token is the one you never hold.',
  'Least privilege today, fewer incidents tomorrow.',
  'Your next approval will be worth reading twice.',
  'Short-lived credentials live long and prosper.',
];

const echo: ToolSpec = {
  definition: builtin({
    name: 'echo',
    description: 'Returns the text it is given. Useful to check that the pipeline works.',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string', maxLength: 4096 } },
      required: ['text'],
      additionalProperties: false,
    },
    category: 'utility',
    effect: 'read',
    costMicroUsd: 0,
    outputAllowlist: ['text'],
  }),
  executor: { mode: 'pure', run: (args) => ({ text: args.text }) },
};

const noteAdd: ToolSpec = {
  definition: builtin({
    name: 'note_add',
    description: 'Saves a short note in the briefcase. Writes, so the default policy asks a person first.',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string', minLength: 1, maxLength: 2000 } },
      required: ['text'],
      additionalProperties: false,
    },
    category: 'notes',
    effect: 'write',
    costMicroUsd: 0,
    outputAllowlist: ['id', 'createdAt'],
  }),
  executor: {
    mode: 'transactional',
    run: (args, { tx, now }) => {
      const id = tx
        .prepare('INSERT INTO notes (created_at_ms, text) VALUES (?, ?)')
        .run(now.getTime(), args.text as string).lastInsertRowid;
      return { id: Number(id), createdAt: now.toISOString() };
    },
  },
};

const notesList: ToolSpec = {
  definition: builtin({
    name: 'notes_list',
    description: 'Lists the most recent notes, newest first.',
    inputSchema: {
      type: 'object',
      properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } },
      additionalProperties: false,
    },
    category: 'notes',
    effect: 'read',
    costMicroUsd: 0,
    outputAllowlist: ['notes'],
  }),
  executor: {
    // Transactional, though it only reads: the notes it returns are those of its receipt's transaction.
    mode: 'transactional',
    run: (args, { tx }) => {
      const rows = tx
        .prepare('SELECT id, created_at_ms, text FROM notes ORDER BY id DESC LIMIT ?')
        .all((args.limit as number | undefined) ?? 20) as {
        id: number;
        created_at_ms: number;
        text: string;
      }[];
      return {
        notes: rows.map((r) => ({
          id: r.id,
          text: r.text,
          createdAt: new Date(r.created_at_ms).toISOString(),
        })),
      };
    },
  },
};

const premiumFortune: ToolSpec = {
  definition: builtin({
    name: 'premium_fortune',
    description:
      'Returns a fortune for a topic. A priced demo tool: each call charges 0.002 USD to the demo_paid budget.',
    inputSchema: {
      type: 'object',
      properties: { topic: { type: 'string', maxLength: 64 } },
      additionalProperties: false,
    },
    category: 'demo_paid',
    effect: 'read',
    costMicroUsd: 2000,
    outputAllowlist: ['fortune', 'topic'],
  }),
  executor: {
    mode: 'pure',
    run: (args) => {
      const topic = (args.topic as string | undefined) ?? 'general';
      let h = 0;
      for (const ch of topic) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
      return { topic, fortune: FORTUNES[h % FORTUNES.length] };
    },
  },
};

/** The built-in tools that exercise every pipeline stage without any network. */
export const builtinTools: ToolProvider = {
  id: 'builtin',
  tools: () => [echo, noteAdd, notesList, premiumFortune],
};

/** Budgets seeded on first start: the priced demo tool gets a small daily and monthly cap. */
export const SEED_BUDGETS = [
  { category: 'demo_paid', dailyCapMicroUsd: 10_000, monthlyCapMicroUsd: 100_000 },
] as const;

#!/usr/bin/env node
/**
 * The upstream fixture MCP server for the conformance run (stdio).
 *
 * The conformance suite's `server` scenarios call fixed tools, resources and prompts (test_simple_text,
 * test://static-text, test_simple_prompt, ...). Briefcase is a gateway, not a server with content of
 * its own, so run.mjs registers this process as the remote server `conformance` (prefix off) and the
 * suite reaches these fixtures through gateway -> briefcased -> here. Every fixture returns exactly what
 * its scenario checks in @modelcontextprotocol/conformance 0.1.16 and 0.2.0-alpha.12 (the two legs of
 * run.mjs; where they differ, the newer one's fixture, which the older checks accept too), nothing
 * more clever: when a scenario fails, the cause is on the path between the suite and this file.
 *
 * Written with the low-level `Server` so every wire field (raw JSON Schema 2020-12 input schemas,
 * legacy `enumNames`) is sent exactly as written here, with no schema library in between.
 * Capabilities the client lacks (sampling, elicitation) produce an `isError` tool result that says so,
 * as the scenarios' descriptions ask.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** A 1x1 red PNG. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A minimal RIFF/WAVE header with a two-byte data chunk (mono, 8 kHz, 16 bit). */
const WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** Resource "not found" (MCP resources spec, error handling). */
const RESOURCE_NOT_FOUND = -32002;

const EMPTY_INPUT = { type: 'object', properties: {} };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value) => ({ type: 'text', text: value });
const errorResult = (message) => ({ isError: true, content: [text(message)] });

// ---------- tools ----------

/**
 * SEP-1613 and SEP-2106: a raw 2020-12 schema whose keywords must all survive the trip to the
 * client: `$schema`, `$defs` (with an `$anchor` inside), `additionalProperties` (SEP-1613, checked
 * by both suite versions), and the composition (`allOf`/`anyOf`) and conditional (`if`/`then`/
 * `else`) keywords (SEP-2106, checked by 0.2.0-alpha.12: SKIPPED when absent at 2025-11-25, so they
 * are here to make it verify them). Exactly the schema the alpha's scenario describes.
 */
const JSON_SCHEMA_2020_12_INPUT = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword; this object is never awaited.
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const TOOLS = [
  { name: 'test_simple_text', description: 'Returns one text content item', inputSchema: EMPTY_INPUT },
  { name: 'test_image_content', description: 'Returns one PNG image content item', inputSchema: EMPTY_INPUT },
  { name: 'test_audio_content', description: 'Returns one WAV audio content item', inputSchema: EMPTY_INPUT },
  {
    name: 'test_embedded_resource',
    description: 'Returns one embedded text resource',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'test_multiple_content_types',
    description: 'Returns text, image and embedded resource content together',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'test_tool_with_logging',
    description: 'Sends three info log messages while it runs',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50 and 100 of 100 when the request carries a progress token',
    inputSchema: EMPTY_INPUT,
  },
  { name: 'test_error_handling', description: 'Always returns a tool error', inputSchema: EMPTY_INPUT },
  {
    name: 'test_reconnection',
    description:
      'SSE polling fixture (SEP-1699); closing the stream mid-call is the HTTP server’s job, so this only waits and answers',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'test_sampling',
    description: 'Asks the client to sample an LLM completion for the prompt',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
      required: ['prompt'],
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the client for a username and an email address',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The message to show the user' } },
      required: ['message'],
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicitation whose fields carry default values (SEP-1034)',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicitation with every enum schema form (SEP-1330)',
    inputSchema: EMPTY_INPUT,
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: JSON_SCHEMA_2020_12_INPUT,
  },
];

const ELICITATION_SCHEMA = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "User's response" },
    email: { type: 'string', description: "User's email address" },
  },
  required: ['username', 'email'],
};

const SEP1034_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'User name', default: 'John Doe' },
    age: { type: 'integer', description: 'User age', default: 30 },
    score: { type: 'number', description: 'User score', default: 95.5 },
    status: {
      type: 'string',
      description: 'User status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verification status', default: true },
  },
  required: [],
};

const SEP1330_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: {
      type: 'string',
      description: 'Untitled single-select',
      enum: ['option1', 'option2', 'option3'],
    },
    titledSingle: {
      type: 'string',
      description: 'Titled single-select',
      oneOf: [
        { const: 'value1', title: 'First option' },
        { const: 'value2', title: 'Second option' },
        { const: 'value3', title: 'Third option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Legacy titled single-select (enumNames, deprecated)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Untitled multi-select',
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Titled multi-select',
      items: {
        anyOf: [
          { const: 'value1', title: 'First choice' },
          { const: 'value2', title: 'Second choice' },
          { const: 'value3', title: 'Third choice' },
        ],
      },
    },
  },
  required: [],
};

const server = new Server(
  { name: 'briefcase-conformance-fixture', version: '1.0.0' },
  {
    capabilities: {
      tools: {},
      resources: { subscribe: true },
      prompts: {},
      logging: {},
      completions: {},
    },
  },
);

/** Sends `elicitation/create` (form mode) and describes the answer, or says why it could not. */
async function elicit(extra, message, requestedSchema, label) {
  if (!server.getClientCapabilities()?.elicitation) {
    return errorResult('the client did not declare the elicitation capability');
  }
  try {
    const result = await extra.sendRequest(
      { method: 'elicitation/create', params: { mode: 'form', message, requestedSchema } },
      ElicitResultSchema,
    );
    return {
      content: [text(`${label}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)],
    };
  } catch (error) {
    return errorResult(`elicitation failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The tool implementations, by name. Each receives the call's arguments and the request context. */
const TOOL_HANDLERS = {
  test_simple_text: async () => ({ content: [text('This is a simple text response for testing.')] }),

  test_image_content: async () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),

  test_audio_content: async () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),

  test_embedded_resource: async () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }),

  test_multiple_content_types: async () => ({
    content: [
      text('Multiple content types test:'),
      { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  }),

  test_tool_with_logging: async () => {
    // sendLoggingMessage honours the level the client set with logging/setLevel.
    const log = (data) => server.sendLoggingMessage({ level: 'info', logger: 'conformance-fixture', data });
    await log('Tool execution started');
    await sleep(50);
    await log('Tool processing data');
    await sleep(50);
    await log('Tool execution completed');
    return { content: [text('Tool with logging executed successfully')] };
  },

  test_tool_with_progress: async (_args, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progress > 0) await sleep(50);
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100, message: `Completed ${progress} of 100` },
        });
      }
    }
    return { content: [text('Tool with progress executed successfully')] };
  },

  test_error_handling: async () => errorResult('This tool intentionally returns an error for testing'),

  test_reconnection: async () => {
    await sleep(100);
    return { content: [text('Reconnection test completed successfully.')] };
  },

  test_sampling: async (args, extra) => {
    if (!server.getClientCapabilities()?.sampling) {
      return errorResult('the client did not declare the sampling capability');
    }
    try {
      const result = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: {
            messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }],
            maxTokens: 100,
          },
        },
        CreateMessageResultSchema,
      );
      const answer = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
      return { content: [text(`LLM response: ${answer}`)] };
    } catch (error) {
      return errorResult(`sampling failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  },

  test_elicitation: async (args, extra) =>
    elicit(extra, String(args.message), ELICITATION_SCHEMA, 'User response'),

  test_elicitation_sep1034_defaults: async (_args, extra) =>
    elicit(
      extra,
      'Please review and update the form fields with defaults',
      SEP1034_SCHEMA,
      'Elicitation completed',
    ),

  test_elicitation_sep1330_enums: async (_args, extra) =>
    elicit(extra, 'Please choose from every kind of enum field', SEP1330_SCHEMA, 'Elicitation completed'),

  json_schema_2020_12_tool: async (args) => ({ content: [text(`Received: ${JSON.stringify(args)}`)] }),
};

server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const handler = TOOL_HANDLERS[request.params.name];
  if (!handler) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  return handler(request.params.arguments ?? {}, extra);
});

// ---------- resources ----------

const STATIC_RESOURCES = {
  'test://static-text': {
    name: 'static-text',
    description: 'A static text resource',
    mimeType: 'text/plain',
    text: 'This is the content of the static text resource.',
  },
  'test://static-binary': {
    name: 'static-binary',
    description: 'A static binary resource (a 1x1 PNG)',
    mimeType: 'image/png',
    blob: PNG_BASE64,
  },
  'test://watched-resource': {
    name: 'watched-resource',
    description: 'A resource clients may subscribe to',
    mimeType: 'text/plain',
    text: 'Watched resource content',
  },
};

const TEMPLATE_URI = 'test://template/{id}/data';
const TEMPLATE_PATTERN = /^test:\/\/template\/([^/]+)\/data$/;

/** URIs with a live subscription (resources/subscribe); nothing here changes, so none is ever notified. */
const subscriptions = new Set();

server.setRequestHandler(ListResourcesRequestSchema, async () => ({
  resources: Object.entries(STATIC_RESOURCES).map(([uri, r]) => ({
    uri,
    name: r.name,
    description: r.description,
    mimeType: r.mimeType,
  })),
}));

server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
  resourceTemplates: [
    {
      uriTemplate: TEMPLATE_URI,
      name: 'template-data',
      description: 'Data for one id, substituted into the URI',
      mimeType: 'application/json',
    },
  ],
}));

server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
  const { uri } = request.params;
  const fixed = STATIC_RESOURCES[uri];
  if (fixed) {
    const body = fixed.blob !== undefined ? { blob: fixed.blob } : { text: fixed.text };
    return { contents: [{ uri, mimeType: fixed.mimeType, ...body }] };
  }
  const match = TEMPLATE_PATTERN.exec(uri);
  if (match) {
    const id = decodeURIComponent(match[1]);
    return {
      contents: [
        {
          uri,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    };
  }
  throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
});

server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  const { uri } = request.params;
  if (!STATIC_RESOURCES[uri]) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  subscriptions.add(uri);
  return {};
});

server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  subscriptions.delete(request.params.uri);
  return {};
});

// ---------- prompts ----------

const PROMPTS = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments',
    arguments: [
      { name: 'arg1', description: 'First argument', required: true },
      { name: 'arg2', description: 'Second argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt that contains an image' },
];

/** Throws InvalidParams unless every required argument of the prompt is a string. */
function requireArguments(prompt, args) {
  for (const argument of prompt.arguments ?? []) {
    if (argument.required && typeof args[argument.name] !== 'string') {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Prompt ${prompt.name} needs the argument ${argument.name}`,
      );
    }
  }
}

const PROMPT_HANDLERS = {
  test_simple_prompt: () => [{ role: 'user', content: text('This is a simple prompt for testing.') }],
  test_prompt_with_arguments: (args) => [
    { role: 'user', content: text(`Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'`) },
  ],
  test_prompt_with_embedded_resource: (args) => [
    {
      role: 'user',
      content: {
        type: 'resource',
        resource: {
          uri: args.resourceUri,
          mimeType: 'text/plain',
          text: 'Embedded resource content for testing.',
        },
      },
    },
    { role: 'user', content: text('Please process the embedded resource above.') },
  ],
  test_prompt_with_image: () => [
    { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
    { role: 'user', content: text('Please analyze the image above.') },
  ],
};

server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS }));

server.setRequestHandler(GetPromptRequestSchema, async (request) => {
  const prompt = PROMPTS.find((p) => p.name === request.params.name);
  if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
  const args = request.params.arguments ?? {};
  requireArguments(prompt, args);
  return { description: prompt.description, messages: PROMPT_HANDLERS[prompt.name](args) };
});

// ---------- completion ----------

/** Candidate values per completable argument, keyed `ref:argument`. */
const COMPLETIONS = {
  'ref/prompt:test_prompt_with_arguments:arg1': ['paris', 'park', 'party'],
  'ref/prompt:test_prompt_with_arguments:arg2': ['red', 'green', 'blue'],
  [`ref/resource:${TEMPLATE_URI}:id`]: ['1', '2', '3', '123'],
};

server.setRequestHandler(CompleteRequestSchema, async (request) => {
  const { ref, argument } = request.params;
  const key = `${ref.type}:${ref.type === 'ref/prompt' ? ref.name : ref.uri}:${argument.name}`;
  const values = (COMPLETIONS[key] ?? []).filter((value) => value.startsWith(argument.value));
  return { completion: { values, total: values.length, hasMore: false } };
});

await server.connect(new StdioServerTransport());

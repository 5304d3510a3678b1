// Drives the official openai-node SDK against a gateway; prints one JSON object of what it saw.
// Usage: node openai_node.mjs BASE_URL SCENARIO, where SCENARIO is chat, stream or invalid.
import OpenAI from 'openai';

const [baseURL, scenario] = process.argv.slice(2);
// The SDK's own retries stay on (2, its default): the invalid scenario counts them.
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'x', timeout: 15000 });
const messages = [{ role: 'user', content: 'Hello there' }];

async function run() {
  if (scenario === 'chat') {
    const raw = await client.chat.completions
      .create({ model: 'gemini-2.0-flash', messages, reasoning_effort: 'low' })
      .withResponse();
    return {
      content: raw.data.choices[0].message.content,
      ignored: raw.response.headers.get('x-aiodynaspark-ignored-params'),
    };
  }
  if (scenario === 'stream') {
    const stream = await client.chat.completions.create({
      model: 'gemini-2.0-flash',
      messages,
      stream: true,
    });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
    return { content };
  }
  if (scenario === 'invalid') {
    try {
      await client.chat.completions.create({
        model: 'gemini-2.0-flash',
        messages,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'n', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
        },
      });
      return { error: null };
    } catch (error) {
      return { error: error.constructor.name, status: error.status, code: error.code };
    }
  }
  throw new Error(`unknown scenario ${scenario}`);
}

console.log(JSON.stringify(await run()));

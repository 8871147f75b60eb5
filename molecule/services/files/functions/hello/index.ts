// Example function: GET /functions/v1/hello answers with a greeting.
Deno.serve((_req: Request) =>
  new Response(JSON.stringify({ message: 'Hello from the Edge Runtime' }), {
    headers: { 'Content-Type': 'application/json' },
  }),
)

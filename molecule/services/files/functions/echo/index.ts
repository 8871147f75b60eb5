// Test function of the molecule `services` scenario.
Deno.serve(async (req: Request) => new Response(await req.text()))

// Main service of the Edge Runtime: routes /<function>/... to the worker in /home/deno/functions/<function>.
// Shipped by the selfhost.supabase.functions role for operators who bring no `main` of their own.
// When VERIFY_JWT is "true", a request needs a JWT signed with JWT_SECRET (HS256).
import * as jose from 'https://deno.land/x/jose@v4.14.4/index.ts'

const JWT_SECRET = Deno.env.get('JWT_SECRET')
const VERIFY_JWT = Deno.env.get('VERIFY_JWT') === 'true'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

async function verified(req: Request): Promise<boolean> {
  const header = req.headers.get('Authorization') ?? ''
  const [scheme, token] = header.split(' ')
  if (scheme !== 'Bearer' || !token || !JWT_SECRET) return false
  try {
    await jose.jwtVerify(token, new TextEncoder().encode(JWT_SECRET))
    return true
  } catch {
    return false
  }
}

Deno.serve(async (req: Request) => {
  if (req.method !== 'OPTIONS' && VERIFY_JWT && !(await verified(req))) {
    return json(401, { msg: 'Invalid JWT' })
  }
  const name = new URL(req.url).pathname.split('/')[1]
  if (!name) return json(400, { msg: 'missing function name in request' })
  const servicePath = `/home/deno/functions/${name}`
  const envVars = Object.entries(Deno.env.toObject())
  try {
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath,
      memoryLimitMb: 150,
      workerTimeoutMs: 60 * 1000,
      noModuleCache: false,
      importMapPath: null,
      envVars,
    })
    return await worker.fetch(req)
  } catch (e) {
    return json(500, { msg: String(e) })
  }
})

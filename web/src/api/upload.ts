/**
 * A multipart POST that reports upload progress. ``fetch`` gives no upload progress (a streamed
 * request body needs HTTP/2 and ``duplex: 'half'``), so this one kind of call goes through
 * XMLHttpRequest. The path, its parameters and the answer are typed from the generated schema;
 * the token, the 401 handling and the error shape are those of ``client.ts``.
 */
import type { paths } from './schema'
import { loadToken } from './session'
import { toApiError } from './errors'
import { notifyUnauthorized } from './client'

type MultipartPost = {
  [P in keyof paths]: paths[P] extends { post: { requestBody?: { content: { 'multipart/form-data': unknown } } } } ? P : never
}[keyof paths]

type Post<P extends MultipartPost> = paths[P] extends { post: infer O } ? O : never
type Ok = 200 | 201 | 202
type Answer<R> = { [S in keyof R & Ok]: R[S] extends { content: { 'application/json': infer J } } ? J : never }[keyof R & Ok]
type PathParams<O> = O extends { parameters: { path: infer A } } ? A : never
type Body<O> = O extends { requestBody?: { content: { 'multipart/form-data': infer B } } } ? B : never

export interface UploadProgress {
  loaded: number
  total: number
}

/** POST ``fields`` to ``path`` (``{name}`` filled from ``params``), calling ``onProgress`` as bytes leave. */
export function uploadWithProgress<P extends MultipartPost>(
  path: P,
  params: PathParams<Post<P>>,
  fields: { [K in keyof Body<Post<P>>]?: Blob | string },
  onProgress: (progress: UploadProgress) => void,
): Promise<Answer<Post<P> extends { responses: infer R } ? R : never>> {
  const url = String(path).replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String((params as Record<string, string | number>)[name])),
  )
  const form = new FormData()
  for (const [name, value] of Object.entries(fields) as Array<[string, Blob | string | undefined]>) {
    if (value !== undefined) form.append(name, value)
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', url)
    const token = loadToken()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.responseType = 'json'
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : 0 })
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr.response)
        return
      }
      if (xhr.status === 401) notifyUnauthorized()
      reject(toApiError(xhr.status, xhr.response, '上传失败'))
    }
    xhr.onerror = () => reject(toApiError(0, undefined, '无法连接服务器'))
    xhr.send(form)
  })
}

// A small SQL highlighter for the indicator editor (pure, unit-tested): keywords, functions of
// the allowed list, strings, numbers and comments become <span class="sql-…"> around escaped text.

const KEYWORDS = new Set(
  ('select from where group by order having as and or not in is null case when then else end with ' +
    'join left right inner outer on union all distinct between like limit cast filter asc desc true false')
    .split(' '),
)
export const FUNCTIONS = new Set(
  ('count sum avg min max coalesce nullif abs greatest least cast if date_trunc year month extract ' +
    'strftime substring length lower upper floor ceil').split(' '),
)
const TOKEN = /(--[^\n]*)|('(?:[^']|'')*'?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|([\s\S])/g

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function highlightSql(sql: string): string {
  let html = ''
  for (const match of sql.matchAll(TOKEN)) {
    const [text, comment, str, num, word] = match
    if (comment) html += `<span class="sql-comment">${escape(text)}</span>`
    else if (str) html += `<span class="sql-string">${escape(text)}</span>`
    else if (num) html += `<span class="sql-number">${text}</span>`
    else if (word && KEYWORDS.has(word.toLowerCase())) html += `<span class="sql-keyword">${text}</span>`
    else if (word && FUNCTIONS.has(word.toLowerCase())) html += `<span class="sql-function">${text}</span>`
    else html += escape(text)
  }
  // A trailing newline needs a character after it to take up a line in the <pre>.
  return html + '\n'
}

/** Line diff of two texts (longest common subsequence): each line marked ' ', '-' or '+'. */
export function diffLines(before: string, after: string): Array<{ mark: ' ' | '-' | '+'; text: string }> {
  const a = before.split('\n')
  const b = after.split('\n')
  const width = b.length + 1
  // lcs[i * width + j]: length of the longest common subsequence of a[i..] and b[j..]
  const lcs = new Array<number>((a.length + 1) * width).fill(0)
  const at = (i: number, j: number): number => lcs[i * width + j] ?? 0
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * width + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1))
  const out: Array<{ mark: ' ' | '-' | '+'; text: string }> = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ mark: ' ', text: a[i] ?? '' })
      i++
      j++
    } else if (at(i + 1, j) >= at(i, j + 1)) out.push({ mark: '-', text: a[i++] ?? '' })
    else out.push({ mark: '+', text: b[j++] ?? '' })
  }
  while (i < a.length) out.push({ mark: '-', text: a[i++] ?? '' })
  while (j < b.length) out.push({ mark: '+', text: b[j++] ?? '' })
  return out
}

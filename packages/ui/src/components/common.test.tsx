// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { SafeMarkdown } from './common.js'

afterEach(cleanup)

describe('SafeMarkdown', () => {
  it('renders Markdown but never the HTML or script links written in it', () => {
    const { container } = render(
      <SafeMarkdown
        text={
          '# Title\n\n**bold** <img src=x onerror="alert(1)"> <b>raw</b>\n\n[click](javascript:alert(1)) [ok](https://example.com)'
        }
      />,
    )
    expect(container.querySelector('h1')?.textContent).toBe('Title')
    expect(container.querySelector('strong')?.textContent).toBe('bold')
    expect(container.querySelector('img')).toBeNull()
    expect(container.querySelector('b')).toBeNull()
    const links = [...container.querySelectorAll('a')].map((link) => link.getAttribute('href'))
    expect(links).toEqual([null, 'https://example.com'])
  })

  it('drops every link or image URL that is not http(s), mailto or in-app', () => {
    const { container } = render(
      <SafeMarkdown
        text={[
          '[a](JAVASCRIPT:alert(1))',
          '[b](  javascript:alert(1))',
          '[c](java&#x09;script:alert(1))',
          '[d](vbscript:msgbox(1))',
          '[e](data:text/html,<script>alert(1)</script>)',
          '[f](#/experiments/1)',
          '[g](mailto:a@b.c)',
          '![i](javascript:alert(1))',
        ].join(' ')}
      />,
    )
    const links = [...container.querySelectorAll('a')].map((link) => link.getAttribute('href'))
    expect(links).toEqual([null, null, null, null, null, '#/experiments/1', 'mailto:a@b.c'])
    expect(container.querySelector('img')?.getAttribute('src')).toBeNull()
    expect(container.querySelector('script')).toBeNull()
  })
})

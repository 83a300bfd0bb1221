import { describe, expect, it } from 'vitest';
import { esc } from '../../src/render/svg.ts';
import { barChart } from '../../src/render/svg-chart.ts';

describe('the one HTML/SVG escaper', () => {
  it('escapes the five characters that matter in content and in either kind of attribute', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('is what the report charts use', () => {
    const svg = barChart([{ label: `nginx "a" <b> & 'c'`, value: 1 }], { width: 400, color: '#000' });
    expect(svg).toContain('nginx &quot;a&quot; &lt;b&gt; &amp; &#39;c&#39;');
  });
});

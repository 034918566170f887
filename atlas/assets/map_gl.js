/* The map's WebGL point layer: every work as one square point, a million in one draw call (plain WebGL 1,
 * no library). Used by map.js, which falls back to drawing dots on a 2D canvas when WebGL is missing.
 *
 * Three vertex buffers, each allocated once for every point and filled chunk by chunk as the binary
 * chunks arrive: x and y (float32, 0..1 on the map) and colour (RGBA bytes; alpha 0 hides a point that is
 * filtered out or not loaded yet). The view is a uniform, so panning and zooming upload nothing; map.js
 * passes the ranges of points whose blocks are in view, so a zoomed-in view processes few vertices.
 */
(function () {
  'use strict';

  const VERTEX = `
    attribute float a_x;
    attribute float a_y;
    attribute vec4 a_colour;
    uniform vec4 u_map; // clip = position * u_map.xy + u_map.zw
    uniform float u_size;
    varying vec3 v_colour;
    void main() {
      v_colour = a_colour.rgb;
      if (a_colour.a < 0.5) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0); // outside the clip volume: not drawn
        gl_PointSize = 1.0;
      } else {
        gl_Position = vec4(a_x * u_map.x + u_map.z, a_y * u_map.y + u_map.w, 0.0, 1.0);
        gl_PointSize = u_size;
      }
    }`;
  const FRAGMENT = `
    precision mediump float;
    varying vec3 v_colour;
    void main() { gl_FragColor = vec4(v_colour, 1.0); }`;

  function shader(gl, type, source) {
    const s = gl.createShader(type);
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
    return s;
  }

  function program(gl) {
    const p = gl.createProgram();
    gl.attachShader(p, shader(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(p, shader(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
    return p;
  }

  function buffer(gl, p, name, bytes, size, type, normalised) {
    const b = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, b);
    gl.bufferData(gl.ARRAY_BUFFER, bytes, gl.DYNAMIC_DRAW);
    const at = gl.getAttribLocation(p, name);
    gl.enableVertexAttribArray(at);
    gl.vertexAttribPointer(at, size, type, normalised, 0, 0);
    return b;
  }

  /** The layer for n points on `canvas`, or null when this browser has no usable WebGL. */
  function create(canvas, n) {
    let gl = null;
    try {
      gl = canvas.getContext('webgl', { alpha: false, antialias: false, depth: false, stencil: false });
    } catch (err) {
      gl = null;
    }
    if (!gl) return null;
    let p;
    try {
      p = program(gl);
    } catch (err) {
      return null;
    }
    gl.useProgram(p);
    const n1 = Math.max(1, n);
    const buffers = {
      x: buffer(gl, p, 'a_x', n1 * 4, 1, gl.FLOAT, false),
      y: buffer(gl, p, 'a_y', n1 * 4, 1, gl.FLOAT, false),
      colour: buffer(gl, p, 'a_colour', n1 * 4, 4, gl.UNSIGNED_BYTE, true),
    };
    const uMap = gl.getUniformLocation(p, 'u_map');
    const uSize = gl.getUniformLocation(p, 'u_size');
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    let lost = false;
    canvas.addEventListener('webglcontextlost', (e) => { e.preventDefault(); lost = true; });

    return {
      renderer,
      get lost() { return lost || gl.isContextLost(); },
      /** Copy `array` (typed, one item per point for x / y, four bytes per point for colour) to points from `start`. */
      upload(name, start, array) {
        gl.bindBuffer(gl.ARRAY_BUFFER, buffers[name]);
        gl.bufferSubData(gl.ARRAY_BUFFER, start * 4, array); // 4 bytes a point in every buffer
      },
      /** Draw the points of `ranges` ([first, count] pairs; every point when omitted): screen = offset +
       * scale * position (device px), squares of `size` device px. */
      draw(width, height, scale, offsetX, offsetY, size, background, ranges) {
        gl.viewport(0, 0, width, height);
        gl.clearColor(background[0] / 255, background[1] / 255, background[2] / 255, 1);
        gl.clear(gl.COLOR_BUFFER_BIT);
        gl.uniform4f(uMap, (2 * scale) / width, (-2 * scale) / height, (2 * offsetX) / width - 1, 1 - (2 * offsetY) / height);
        gl.uniform1f(uSize, size);
        for (const [first, count] of ranges || [[0, n]]) gl.drawArrays(gl.POINTS, first, count);
      },
      /** Give the context back (when map.js decides to draw on the 2D canvas instead). */
      release() {
        const lose = gl.getExtension('WEBGL_lose_context');
        if (lose) lose.loseContext();
      },
      /** RGBA of the device pixel (x, y) from the top left, read right after a draw (tests). */
      pixel(x, y) {
        const out = new Uint8Array(4);
        gl.readPixels(x, canvas.height - 1 - y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, out);
        return Array.from(out);
      },
    };
  }

  window.AtlasMapGL = { create };
})();

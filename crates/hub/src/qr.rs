//! QR codes for the pairing URI: in the terminal for a quick start, as PNG and SVG for printing.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use qrcode::{Color, EcLevel, QrCode};

/// The QR specification asks for four light modules around the code.
const QUIET_ZONE: usize = 4;

/// Terminal rows are scarce (the code must fit a laptop terminal next to the hub's log), and
/// phone scanners read a two-module margin reliably, so the terminal uses less than the
/// specification's four.
const TERMINAL_QUIET_ZONE: usize = 2;

/// Above this a PNG side would exceed what anyone prints or shows, and the arithmetic stays far
/// from overflowing `u32`.
const MAX_PNG_SIDE: usize = 16_384;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("PNG scale must be between 1 and a side of {MAX_PNG_SIDE} pixels, got {0}")]
    BadScale(u32),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode PNG {}: {source}", path.display())]
    Png {
        path: PathBuf,
        #[source]
        source: png::EncodingError,
    },
}

/// Level M (about 15% recovery) survives glare and a slightly dirty screen while keeping the
/// code small enough for a terminal.
fn encode(text: &str) -> Result<QrCode, QrError> {
    Ok(QrCode::with_error_correction_level(
        text.as_bytes(),
        EcLevel::M,
    )?)
}

/// A module grid with the quiet zone added; `true` is dark.
struct Grid {
    side: usize,
    dark: Vec<bool>,
}

impl Grid {
    fn new(code: &QrCode, quiet: usize) -> Grid {
        let width = code.width();
        let side = width + 2 * quiet;
        let mut dark = vec![false; side * side];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (y, x) = (i / width, i % width);
                dark[(y + quiet) * side + x + quiet] = true;
            }
        }
        Grid { side, dark }
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        // Out-of-range rows count as margin rather than panicking.
        y < self.side && self.dark[y * self.side + x]
    }
}

/// The code as text, two modules per character cell with Unicode half blocks.
///
/// No colour escapes are used, so the output survives log files and the Windows console. The
/// glyphs draw the *light* modules: on the usual light-on-dark terminal this shows dark modules
/// on a light background, which is what every scanner expects. Each line has the same number of
/// characters and the quiet zone is drawn, so the terminal's own background never has to act
/// as the margin.
pub fn render_terminal(text: &str) -> Result<String, QrError> {
    let grid = Grid::new(&encode(text)?, TERMINAL_QUIET_ZONE);
    let rows = grid.side.div_ceil(2);
    let mut out = String::with_capacity(rows * (grid.side * 3 + 1));
    for row in 0..rows {
        for x in 0..grid.side {
            let top_light = !grid.is_dark(x, 2 * row);
            // A missing bottom row (odd side) is drawn dark so the code does not get an
            // uneven extra half-module margin at the bottom.
            let bottom_light = 2 * row + 1 < grid.side && !grid.is_dark(x, 2 * row + 1);
            out.push(match (top_light, bottom_light) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// Writes the code as an 8-bit grayscale PNG, `scale` pixels per module, with a four-module
/// quiet zone.
///
/// Encoded directly rather than through an image library, which would pull in codecs for a
/// black-and-white grid.
pub fn write_png(text: &str, path: &Path, scale: u32) -> Result<(), QrError> {
    let grid = Grid::new(&encode(text)?, QUIET_ZONE);
    let scale_px = usize::try_from(scale).map_err(|_| QrError::BadScale(scale))?;
    let side_px = grid
        .side
        .checked_mul(scale_px)
        .filter(|s| scale > 0 && *s <= MAX_PNG_SIDE)
        .ok_or(QrError::BadScale(scale))?;
    // Bounded by MAX_PNG_SIDE just above, so this conversion cannot fail.
    let side_u32 = u32::try_from(side_px).map_err(|_| QrError::BadScale(scale))?;

    let mut pixels = Vec::with_capacity(side_px * side_px);
    for y in 0..side_px {
        let row_start = pixels.len();
        for x in 0..grid.side {
            let value = if grid.is_dark(x, y / scale_px) {
                0
            } else {
                255
            };
            pixels.extend(std::iter::repeat_n(value, scale_px));
        }
        debug_assert_eq!(pixels.len() - row_start, side_px);
    }

    let file = File::create(path).map_err(|source| QrError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let png_err = |source| QrError::Png {
        path: path.to_path_buf(),
        source,
    };
    let mut encoder = png::Encoder::new(BufWriter::new(file), side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(())
}

/// The code as standalone SVG markup (black on white, four-module quiet zone).
pub fn svg(text: &str) -> Result<String, QrError> {
    Ok(encode(text)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .build())
}

/// Writes the code as a standalone SVG (black on white, four-module quiet zone).
pub fn write_svg(text: &str, path: &Path) -> Result<(), QrError> {
    let svg = svg(text)?;
    std::fs::write(path, svg).map_err(|source| QrError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "gocua://pair?v=1&u=https://192.168.1.20:8443\
        &fp=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\
        &c=K7MQ3XRT9P&e=1767225600&w=Ph%C6%B0%E1%BB%9Dng%20B%E1%BA%BFn%20Ngh%C3%A9";

    #[test]
    fn terminal_rendering_is_square_with_light_margin() {
        let out = render_terminal(URI).expect("fits");
        let lines: Vec<&str> = out.lines().collect();
        assert!(!lines.is_empty());
        let width = lines[0].chars().count();
        let side = encode(URI).expect("fits").width() + 2 * TERMINAL_QUIET_ZONE;
        assert_eq!(width, side);
        assert_eq!(lines.len(), side.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == width));
        // Two cells are one module square, so rows ~= columns / 2.
        assert!((lines.len() * 2).abs_diff(width) <= 1);
        // The quiet zone is drawn as light (full block) cells.
        assert!(lines[0].chars().all(|c| c == '█'), "{}", lines[0]);
        // Left and right margins are light; the last line of an odd-sized grid has only a top
        // half, drawn as an upper half block.
        for line in &lines {
            let cells: Vec<char> = line.chars().collect();
            for &c in cells[..TERMINAL_QUIET_ZONE]
                .iter()
                .chain(&cells[width - TERMINAL_QUIET_ZONE..])
            {
                assert!(c == '█' || c == '▀', "{line}");
            }
        }
        // The top-left finder pattern's dark border starts right after the margin.
        assert_eq!(lines[1].chars().nth(TERMINAL_QUIET_ZONE), Some(' '));
    }

    #[test]
    fn png_decodes_with_expected_size_and_pixels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pair.png");
        write_png(URI, &path, 3).expect("write png");

        let modules = encode(URI).expect("fits").width();
        let side = ((modules + 2 * QUIET_ZONE) * 3) as u32;
        let file = std::io::BufReader::new(File::open(&path).expect("open"));
        let mut reader = png::Decoder::new(file).read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png data");
        assert_eq!((info.width, info.height), (side, side));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);

        let px = |x: usize, y: usize| buf[y * info.line_size + x];
        // Margin is white, the finder pattern's corner just inside it is black.
        assert_eq!(px(0, 0), 255);
        assert_eq!(px(QUIET_ZONE * 3 - 1, QUIET_ZONE * 3 - 1), 255);
        assert_eq!(px(QUIET_ZONE * 3, QUIET_ZONE * 3), 0);
        assert_eq!(px(QUIET_ZONE * 3 + 2, QUIET_ZONE * 3 + 2), 0);
        assert!(buf.iter().all(|&b| b == 0 || b == 255));
    }

    #[test]
    fn png_rejects_zero_or_huge_scale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pair.png");
        assert!(matches!(
            write_png(URI, &path, 0),
            Err(QrError::BadScale(0))
        ));
        assert!(matches!(
            write_png(URI, &path, 100_000),
            Err(QrError::BadScale(100_000))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn svg_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pair.svg");
        write_svg(URI, &path).expect("write svg");
        let svg = std::fs::read_to_string(&path).expect("read");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("#000"));
    }

    #[test]
    fn too_much_text_is_an_error() {
        let text = "x".repeat(5000);
        assert!(matches!(render_terminal(&text), Err(QrError::Encode(_))));
    }
}

using Runner.Sweeps;
using Runner.Training.Data;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// The training half of <see cref="TransformSpec"/> on a normalized batch [n, C, S, S] of stored images: each image
/// cropped (torchvision's RandomResizedCrop box, or the center) and resized bilinearly to the model's side, half of
/// them flipped, then color jitter on the 0..1 pixels. Every random number comes from torch's generator, which each
/// trial seeds, so a trial crops the same boxes every time it runs.
/// </summary>
public sealed class TrainTransform(TransformSpec spec, int side, Normalization norm)
{
    /// <summary>Uniform draws per image: 10 box attempts of (scale, log-ratio), 2 offsets, 1 flip, 3 jitter factors.</summary>
    public const int Attempts = 10, Draws = 2 * Attempts + 6;

    public Tensor Apply(Tensor batch)
    {
        long n = batch.shape[0];
        int h = (int)batch.shape[2], w = (int)batch.shape[3];
        double[] u;
        using (var draws = rand(new[] { n, Draws }, ScalarType.Float64)) u = draws.data<double>().ToArray();
        using var scope = NewDisposeScope();
        var images = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * Draws, Draws);
            var (top, left, ch, cw) = spec.TrainCrop == TransformSpec.RandomResized ? Box(spec, d, h, w) : Centered(h, w);
            var piece = CropResize(batch[i], top, left, ch, cw, side).unsqueeze(0);
            if (spec.Flip && d[2 * Attempts + 2] < 0.5) piece = piece.flip(3);
            if (spec.ColorJitter > 0) piece = Jitter(piece, d.Slice(2 * Attempts + 3, 3));
            images[i] = piece;
        }
        return cat(images, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// torchvision's resized_crop of one image [C, H, W] (bilinear, corners not aligned, no antialiasing: what
    /// torchvision 0.14 does to tensors), the crop alone when it already has the side.
    /// </summary>
    public static Tensor CropResize(Tensor image, int top, int left, int height, int width, int side)
    {
        var piece = image.narrow(1, top, height).narrow(2, left, width);
        if (height == side && width == side) return piece.clone();
        using var batch = piece.unsqueeze(0);
        using var resized = nn.functional.interpolate(batch, new long[] { side, side }, mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.squeeze(0);
    }

    /// <summary>
    /// torchvision's RandomResizedCrop.get_params, given its uniform draws <paramref name="d"/> (see <see cref="Draws"/>):
    /// up to ten draws of area share and aspect, else the central crop within the ratio range.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) Box(TransformSpec spec, ReadOnlySpan<double> d, int height, int width)
    {
        double area = height * width, logMin = Math.Log(spec.RatioMin), logMax = Math.Log(spec.RatioMax);
        for (int k = 0; k < Attempts; k++)
        {
            double target = area * (spec.ScaleMin + d[2 * k] * (spec.ScaleMax - spec.ScaleMin));
            double aspect = Math.Exp(logMin + d[2 * k + 1] * (logMax - logMin));
            int cw = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
            int ch = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
            if (cw > 0 && cw <= width && ch > 0 && ch <= height)
                return ((int)(d[2 * Attempts] * (height - ch + 1)), (int)(d[2 * Attempts + 1] * (width - cw + 1)), ch, cw);
        }
        double ratio = (double)width / height;
        var (fh, fw) = ratio < spec.RatioMin ? ((int)Math.Round(width / spec.RatioMin, MidpointRounding.ToEven), width)
            : ratio > spec.RatioMax ? (height, (int)Math.Round(height * spec.RatioMax, MidpointRounding.ToEven))
            : (height, width);
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    (int, int, int, int) Centered(int height, int width) => (RowSet.CenterOffset(height, side), RowSet.CenterOffset(width, side), side, side);

    /// <summary>Brightness, contrast and saturation, each by a factor in [1 − j, 1 + j], on 0..1 pixels clamped after each, as torchvision's ColorJitter.</summary>
    Tensor Jitter(Tensor normalized, ReadOnlySpan<double> d)
    {
        long channels = normalized.shape[1];
        using var mean = tensor(norm.Mean).view(1, channels, 1, 1);
        using var std = tensor(norm.Std).view(1, channels, 1, 1);
        double Factor(double draw) => 1 - spec.ColorJitter + 2 * spec.ColorJitter * draw;
        var x = (normalized * std + mean).clamp(0, 1);
        x = (x * Factor(d[0])).clamp(0, 1);
        var gray = Gray(x);
        x = ((x - gray.mean()) * Factor(d[1]) + gray.mean()).clamp(0, 1);
        if (channels == 3) x = ((x - Gray(x)) * Factor(d[2]) + Gray(x)).clamp(0, 1);
        return (x - mean) / std;
    }

    /// <summary>ITU-R 601 luma, as torchvision's rgb_to_grayscale (grayscale images are their own).</summary>
    static Tensor Gray(Tensor x) => x.shape[1] == 3
        ? (0.299 * x.narrow(1, 0, 1) + 0.587 * x.narrow(1, 1, 1) + 0.114 * x.narrow(1, 2, 1))
        : x;
}

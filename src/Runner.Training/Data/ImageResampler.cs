namespace Runner.Training.Data;

/// <summary>
/// Resize (shorter side to the target, triangle filter widened when shrinking, as PIL's antialiased bilinear does)
/// then center crop to a square: torchvision's Resize(size) + CenterCrop(size) on interleaved 8-bit pixels.
/// </summary>
public static class ImageResampler
{
    /// <returns>size×size×channels bytes, interleaved</returns>
    public static byte[] ResizeAndCrop(byte[] pixels, int width, int height, int channels, int size)
    {
        double scale = (double)size / Math.Min(width, height);
        int newW = Math.Max(size, (int)Math.Round(width * scale)), newH = Math.Max(size, (int)Math.Round(height * scale));
        int left = (newW - size) / 2, top = (newH - size) / 2;
        // Horizontal pass over every source row, then vertical pass over the kept rows only.
        var (wx, ix) = Weights(width, newW, left, size);
        var (wy, iy) = Weights(height, newH, top, size);
        var rows = new float[height * size * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < channels; c++)
                {
                    float sum = 0;
                    for (int k = 0; k < wx[x].Length; k++) sum += wx[x][k] * pixels[(y * width + ix[x] + k) * channels + c];
                    rows[(y * size + x) * channels + c] = sum;
                }
        var result = new byte[size * size * channels];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < channels; c++)
                {
                    float sum = 0;
                    for (int k = 0; k < wy[y].Length; k++) sum += wy[y][k] * rows[((iy[y] + k) * size + x) * channels + c];
                    result[(y * size + x) * channels + c] = (byte)Math.Clamp(MathF.Round(sum), 0, 255);
                }
        return result;
    }

    /// <summary>For each of <paramref name="count"/> output positions from <paramref name="first"/> on: filter weights and the first source index.</summary>
    static (float[][] Weights, int[] Start) Weights(int inSize, int outSize, int first, int count)
    {
        double scale = (double)inSize / outSize;
        double support = Math.Max(1, scale);
        var weights = new float[count][];
        var starts = new int[count];
        for (int o = 0; o < count; o++)
        {
            double center = (o + first + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(center - support)), hi = Math.Min(inSize - 1, (int)Math.Ceiling(center + support));
            var w = new double[hi - lo + 1];
            for (int i = lo; i <= hi; i++) w[i - lo] = Math.Max(0, 1 - Math.Abs((i + 0.5 - center) / support));
            double total = w.Sum();
            if (total == 0) { w = new double[] { 1 }; lo = Math.Clamp((int)center, 0, inSize - 1); total = 1; }
            weights[o] = w.Select(v => (float)(v / total)).ToArray();
            starts[o] = lo;
        }
        return (weights, starts);
    }
}

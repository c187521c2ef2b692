// The line pipeline of armature.vision (LinePipeline.process), in C++ against the system's
// OpenCV, for the vision benchmark. Reads a 640x480 frame from the image named on the command
// line, then answers each line "<frames>" on stdin with "<nanoseconds> <heading error>" on stdout:
// the time to run the pipeline that many times, and the last result.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: line_pipeline <frame.png>" << std::endl;
        return 2;
    }
    cv::setNumThreads(1);  // as the Java side: one thread each on a shared machine
    cv::Mat frame = cv::imread(argv[1], cv::IMREAD_COLOR);
    if (frame.empty()) {
        std::cerr << "cannot read " << argv[1] << std::endl;
        return 2;
    }
    const cv::Scalar low(20, 100, 100), high(35, 255, 255);
    const double bandTop = 0.6, fx = 554.256, cx = 320;
    const int minPixels = 50;
    cv::Mat hsv, mask, columnSums;
    std::vector<int> sums(frame.cols);
    std::string line;
    while (std::getline(std::cin, line)) {
        long frames = std::stol(line);
        double error = NAN;
        auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < frames; i++) {
            cv::cvtColor(frame, hsv, cv::COLOR_BGR2HSV);
            cv::Mat band = hsv.rowRange(static_cast<int>(frame.rows * bandTop), frame.rows);
            cv::inRange(band, low, high, mask);
            cv::reduce(mask, columnSums, 0, cv::REDUCE_SUM, CV_32S);
            std::copy(columnSums.ptr<int>(0), columnSums.ptr<int>(0) + frame.cols, sums.begin());
            long long total = 0, weighted = 0;
            for (int u = 0; u < frame.cols; u++) {
                total += sums[u];
                weighted += static_cast<long long>(u) * sums[u];
            }
            error = total / 255 < minPixels ? NAN : std::atan((cx - static_cast<double>(weighted) / total) / fx);
        }
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
        std::printf("%lld %.6f\n", static_cast<long long>(ns), error);
        std::fflush(stdout);
    }
    return 0;
}

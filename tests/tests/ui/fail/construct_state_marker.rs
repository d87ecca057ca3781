fn main() {
    let _forged = flitt::flows::Captured { _private: () };
}

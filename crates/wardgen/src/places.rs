//! Place names: wards, streets named after historical figures, organisations and sites.

/// (ward, district) pairs of real inner-city Hà Nội wards, whose streets are phố and ngõ.
pub(crate) const WARDS: &[(&str, &str)] = &[
    ("Phường Ngọc Hà", "Quận Ba Đình, Hà Nội"),
    ("Phường Trúc Bạch", "Quận Ba Đình, Hà Nội"),
    ("Phường Cống Vị", "Quận Ba Đình, Hà Nội"),
    ("Phường Láng Hạ", "Quận Đống Đa, Hà Nội"),
    ("Phường Văn Miếu", "Quận Đống Đa, Hà Nội"),
    ("Phường Dịch Vọng Hậu", "Quận Cầu Giấy, Hà Nội"),
    ("Phường Bạch Mai", "Quận Hai Bà Trưng, Hà Nội"),
    ("Phường Thịnh Liệt", "Quận Hoàng Mai, Hà Nội"),
];

/// Streets are named after national figures, as in every Vietnamese city.
pub(crate) const FIGURES: &[&str] = &[
    "Phan Đình Phùng",
    "Hoàng Hoa Thám",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Thái Học",
    "Đội Cấn",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Bà Triệu",
    "Nguyễn Trãi",
    "Lê Duẩn",
    "Nguyễn Du",
    "Trần Phú",
    "Lê Thánh Tông",
    "Nguyễn Chí Thanh",
    "Văn Cao",
    "Phan Bội Châu",
    "Phan Chu Trinh",
    "Chu Văn An",
    "Lý Thái Tổ",
    "Ngô Quyền",
    "Đinh Tiên Hoàng",
    "Lê Hồng Phong",
    "Nguyễn Tri Phương",
    "Tô Hiến Thành",
    "Trần Quốc Toản",
    "Trần Nhân Tông",
    "Hàn Thuyên",
    "Lê Văn Hưu",
    "Nguyễn Bỉnh Khiêm",
    "Hồ Xuân Hương",
    "Nguyễn Khuyến",
    "Ngô Sĩ Liên",
    "Lý Nam Đế",
    "Trần Khánh Dư",
    "Yết Kiêu",
    "Phạm Ngũ Lão",
    "Lê Quý Đôn",
    "Nguyễn Công Trứ",
    "Tôn Đức Thắng",
    "Võ Thị Sáu",
    "Nguyễn Văn Cừ",
    "Hoàng Văn Thụ",
    "Nguyễn Thị Minh Khai",
    "Trần Quang Khải",
    "Lê Đại Hành",
    "Mai Hắc Đế",
    "Triệu Việt Vương",
    "Lê Ngọc Hân",
    "Huỳnh Thúc Kháng",
    "Nguyễn Văn Trỗi",
    "Cao Bá Quát",
    "Trần Bình Trọng",
    "Phùng Hưng",
    "Bùi Thị Xuân",
    "Lê Lai",
    "Nguyễn Hữu Huân",
    "Lý Tự Trọng",
    "Đặng Dung",
    "Hoàng Diệu",
    "Trần Nguyên Hãn",
];

/// Trade names for businesses.
pub(crate) const TRADE_NAMES: &[&str] = &[
    "Hưng Thịnh",
    "Phát Đạt",
    "Thành Công",
    "Minh Long",
    "An Khang",
    "Tân Tiến",
    "Đại Việt",
    "Sao Mai",
    "Hồng Hà",
    "Thăng Long",
    "Bình Minh",
    "Trường Sơn",
    "Hoàn Cầu",
    "Việt Tiến",
    "Phú Gia",
];

pub(crate) const BUSINESS_KINDS: &[&str] = &[
    "Công ty TNHH May",
    "Công ty Cổ phần Thực phẩm",
    "Công ty TNHH Điện tử",
    "Công ty Cổ phần Xây dựng",
    "Công ty TNHH Bao bì",
    "Siêu thị",
];

pub(crate) const AGENCIES: &[&str] = &[
    "Trạm Y tế",
    "Bưu điện văn hóa",
    "Chi cục Thuế khu vực",
    "Trung tâm Văn hóa Thể thao",
    "Ban Quản lý chợ",
    "Kho bạc Nhà nước",
    "Bảo hiểm Xã hội",
];

pub(crate) const SCHOOL_LEVELS: &[&str] = &[
    "Trường THCS",
    "Trường THPT",
    "Trường Tiểu học",
    "Trường Trung cấp Nghề",
];

pub(crate) const INDUSTRIAL_ZONES: &[&str] = &[
    "Cụm công nghiệp",
    "Khu công nghiệp",
    "Cụm công nghiệp làng nghề",
];

pub(crate) const UNIVERSITIES: &[&str] = &[
    "Trường Đại học Bách khoa Hà Nội",
    "Trường Đại học Sư phạm Hà Nội",
    "Trường Đại học Kinh tế Quốc dân",
    "Trường Đại học Luật Hà Nội",
    "Học viện Cảnh sát nhân dân",
];

/// Province codes that open a CCCD number: Hà Nội for most residents, the provinces migrant
/// workers come from for people living at sites.
pub(crate) const HOME_PROVINCE: &str = "001";
pub(crate) const MIGRANT_PROVINCES: &[&str] = &[
    "036", "038", "040", "034", "042", "030", "033", "026", "035", "037", "022", "025",
];

/// Mobile prefixes of the three big carriers.
pub(crate) const PHONE_PREFIXES: &[&str] = &[
    "090", "091", "093", "094", "096", "097", "098", "086", "088", "089", "032", "033", "034",
    "035", "036", "037", "038", "039", "070", "076", "077", "078", "079", "081", "082", "083",
    "084", "085", "056", "058",
];

/// Notes volunteers leave on a visit.
pub(crate) const VISIT_NOTES: &[&str] = &[
    "Hẹn tối mai quay lại",
    "Chủ hộ đi làm ca đêm",
    "Đã hướng dẫn cài đặt VNeID",
    "Nhà có người già cần hỗ trợ tại nhà",
    "Gia đình đề nghị đến sau 20 giờ",
    "Con trai đi làm ở Bình Dương",
    "Đã nhắc mang CCCD khi đến lần sau",
];
